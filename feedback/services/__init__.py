"""The close-the-loop services: `cases` (open, assign, contact, close, reopen,
escalate) and `alerts` (the outbox of case alerts)."""
