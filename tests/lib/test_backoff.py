from lib.backoff import backoff


def test_backoff_doubles_up_to_an_hour(settings):
    settings.SURVEY_RETRY_BASE_SECONDS = 60
    assert [backoff(n).total_seconds() for n in (1, 2, 3, 7, 20)] == [
        60,
        120,
        240,
        3600,
        3600,
    ]
