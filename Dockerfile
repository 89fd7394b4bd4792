# Image for the web, worker and beat services in docker-compose.yml (postgresql-client: make backup).
FROM python:3.11-slim-bookworm
RUN apt-get update && apt-get install -y --no-install-recommends \
      libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-liberation2 fonts-dejavu-core nodejs npm postgresql-client \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN bash scripts/build_frontend.sh
RUN useradd --create-home bcf && mkdir -p /srv/media /srv/static && chown bcf /srv/media /srv/static
USER bcf
