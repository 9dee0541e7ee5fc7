"""Every write of the survey loop: scheduling (who is asked, when, or why not),
sending (the outbox: dispatch, claim, send, retry, expire) and answers
(recording an answer, opening the page, unsubscribing)."""
