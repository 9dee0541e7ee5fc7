"""Withholding what free text says about other people (the access export,
privacy.services.export): in the notes, subjects, comments and resolutions
about a customer, another person's email address, phone number or name is
replaced with WITHHELD and counted.

Addresses and phone numbers are found by their shape (lib.logs' patterns),
and kept when they are the customer's own. Names are found by looking up
every run of up to four words (and of two to four Chinese characters) of the
texts among the other customers' names and the staff's full names, exactly
as written: a name spelt differently ("anna smith" for "Anna Smith" is
found; "A. Smith" is not) stays, which is the limit of this approach.
"""

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import User
from django.db import connection, models
from django.db.models.expressions import RawSQL

from customers.models import Customer
from lib import logs

WITHHELD = "[withheld]"
# A name shorter than this, in letters, is in too many ordinary words ("Li");
# Chinese names are two or three characters and found as written.
MIN_NAME = 3
MIN_CJK_NAME = 2
CJK = re.compile(r"[\u3400-\u9fff]+")
# The longest run of words (or CJK characters) a name is looked up as.
NAME_WORDS = 4
PHONES = [logs.INTERNATIONAL_PHONE, logs.CHINESE_MOBILE, logs.NATIONAL_PHONE]


class Text(str):
    """Free text, in which other people's details are withheld."""


@dataclass
class Redactor:
    """Withholds, in free text, email addresses and phone numbers that are
    not the customer's own, and the names of other customers and staff
    found in it (looked up by exact name, in one query each)."""

    own_emails: set[str]
    own_phone: str
    names: list[re.Pattern[str]]
    withheld: int = 0

    @classmethod
    def for_customer(cls, customer: Customer, texts: Iterable[str]) -> "Redactor":
        """Ready for the texts about `customer` (the names to look for are
        those found in them): two queries, however many texts."""
        candidates = name_candidates(texts) - own_name_parts(customer.name)
        names = other_names(customer, candidates) if candidates else set()
        return cls(
            own_emails={customer.email.lower()} if customer.email else set(),
            own_phone=digits(customer.phone),
            names=[name_pattern(name) for name in sorted(names, key=len, reverse=True)],
        )

    def __call__(self, text: str) -> str:
        text = str(text)
        text = logs.EMAIL.sub(self._email, text)
        for pattern in PHONES:
            text = pattern.sub(self._phone, text)
        for pattern in self.names:
            text = pattern.sub(self._withhold, text)
        return text

    def _withhold(self, match: re.Match[str]) -> str:
        self.withheld += 1
        return WITHHELD

    def _email(self, match: re.Match[str]) -> str:
        if match[0].lower() in self.own_emails:
            return match[0]
        return self._withhold(match)

    def _phone(self, match: re.Match[str]) -> str:
        found = digits(match[0])
        own = self.own_phone
        # "+86 138 0013 8000" is "138 0013 8000" written with its country code.
        if own and len(found) >= 7 and (own.endswith(found) or found.endswith(own)):
            return match[0]
        return self._withhold(match)


def digits(text: str) -> str:
    return "".join(character for character in text if character.isdigit())


def texts_in(value: Any) -> Iterable[str]:
    if isinstance(value, Text):
        yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from texts_in(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from texts_in(item)


def name_candidates(texts: Iterable[str]) -> set[str]:
    """Every run of up to NAME_WORDS words, and every run of two to four
    Chinese characters, of the texts: what a name written in them would be."""
    found: set[str] = set()
    for text in texts:
        words = [word.strip(".,;:!?()[]{}\"'“”‘’<>") for word in text.split()]
        words = [word for word in words if word]
        for start in range(len(words)):
            for size in range(1, NAME_WORDS + 1):
                if start + size <= len(words):
                    run = " ".join(words[start : start + size])
                    found.add(run)
                    if size > 1:
                        # "otto outsider" is the customer "Otto Outsider".
                        found.add(run.title())
        for run in CJK.findall(text):
            for start in range(len(run)):
                for size in range(MIN_CJK_NAME, NAME_WORDS + 1):
                    if start + size <= len(run):
                        found.add(run[start : start + size])
    return {name for name in found if is_name_like(name)}


def is_name_like(name: str) -> bool:
    if CJK.fullmatch(name):
        return len(name) >= MIN_CJK_NAME
    return sum(character.isalpha() for character in name) >= MIN_NAME


def own_name_parts(name: str) -> set[str]:
    """The customer's own name and its parts are theirs, even if another
    customer is called the same."""
    return name_candidates([name]) | {name}


def other_names(customer: Customer, candidates: set[str]) -> set[str]:
    """The candidates that are another customer's name (one query, the
    candidates passed as one parameter: they may be tens of thousands of
    runs of words, and the statement stays the same size) or a staff
    member's full name (one query: staff are few)."""
    values = sorted(candidates)
    table = connection.ops.quote_name(Customer._meta.db_table)
    params: list[Any]
    if connection.vendor == "postgresql":
        sql, params = f"{table}.name = ANY(%s)", [values]
    else:
        sql = f"{table}.name IN (SELECT value FROM json_each(%s))"  # noqa: S608
        params = [json.dumps(values)]
    among = RawSQL(sql, params, output_field=models.BooleanField())  # noqa: S611
    customers = Customer.objects.exclude(pk=customer.pk).filter(among)
    found = set(customers.values_list("name", flat=True))
    staff_names = User.objects.exclude(first_name="").values_list(
        "first_name", "last_name"
    )
    for first, last in staff_names:
        full_name = f"{first} {last}".strip()
        if full_name in candidates:
            found.add(full_name)
    return found


def name_pattern(name: str) -> re.Pattern[str]:
    """A Latin name as whole words ("Ann" is not in "Annabel"), in any case
    when it has several words ("otto outsider"), as written when it has one
    (the customer "Will" is not in "will call back"); a Chinese one wherever
    it is (Chinese has no spaces between words)."""
    escaped = re.escape(name)
    if CJK.search(name):
        return re.compile(escaped)
    flags = re.IGNORECASE if len(name.split()) > 1 else 0
    return re.compile(rf"(?<!\w){escaped}(?!\w)", flags)
