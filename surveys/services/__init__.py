"""Every write of the survey loop: scheduling (who is asked, when, or why not),
sending (the outbox: dispatch, claim, send, retry, expire), send_now (a
manager's shortcut into that outbox) and answers (recording an answer, opening
the page, unsubscribing); and decisions, which puts what they decided into
words for the staff."""
