# The product image: API (`hotline serve`) and dispatcher (`hotline worker`) run from it.
FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY hotline ./hotline
COPY nlu ./nlu
COPY triage ./triage
COPY speech ./speech
COPY connectors ./connectors
COPY bot ./bot
COPY config ./config
COPY cities ./cities
COPY models ./models
RUN pip install --no-cache-dir -e . && useradd --create-home hotline && mkdir -p /app/var && chown hotline /app/var
USER hotline
EXPOSE 8000
CMD ["hotline", "serve", "--host", "0.0.0.0", "--port", "8000"]
