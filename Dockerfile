# One image for every Touchloop process: web (gunicorn), worker, beat, migrate.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
RUN useradd --create-home --uid 1000 touchloop

COPY requirements.txt .
# The runtime lock alone, every file checked against its hash.
RUN pip install --require-hashes -r requirements.txt

COPY . .
# Static files are collected into the image; WhiteNoise serves them.
RUN SECRET_KEY=collectstatic-only-not-a-secret-0123456789abcdefghij python manage.py collectstatic --noinput \
    && mkdir -p var \
    && chown -R touchloop:touchloop var

USER touchloop
EXPOSE 8000
# Bind, workers, timeout and the redacted access log: gunicorn.conf.py.
CMD ["gunicorn", "--config", "gunicorn.conf.py", "crm.wsgi"]
