"""The close-the-loop services: `cases` (open, assign, contact, close, reopen,
escalate), `alerts` (the outbox of case alerts), `digest` (the managers'
weekly digest) and `outbox` (the claim, backoff and give-up both outboxes
share)."""
