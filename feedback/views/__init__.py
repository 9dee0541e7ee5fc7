"""The HTML pages of the feedback app: the admin's home (home), the manager
dashboard (dashboard, display, forms), the answers behind its figures
(answers, export) and the weekly digest's opt-out (digest)."""
