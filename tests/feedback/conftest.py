from tests.smtp import closed_smtp_port, smtp_server

__all__ = ["closed_smtp_port", "smtp_server"]
