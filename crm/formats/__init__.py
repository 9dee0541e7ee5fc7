"""How dates and times read, one format per language (FORMAT_MODULE_PATH).

Django's own English formats are three ("Dec. 7, 2026, 8:06 a.m." in the
admin, "12/07/2026 8:09 a.m." where a page asks for the short one), and the
month-first short date means the 12th of July to most of the world. Here
every page and mail shows one, in a day-month-year order nobody misreads, on
a 24-hour clock. Input formats are not set here: the admin's date fields keep
Django's.
"""
