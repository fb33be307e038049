# Rasa server and action server (Python 3.10); the model is trained at build time.
FROM python:3.10-slim
WORKDIR /app
ENV RASA_TELEMETRY_ENABLED=false TF_CPP_MIN_LOG_LEVEL=2 PYTHONPATH=/app/bot:/app
COPY pyproject.toml README.md ./
COPY constraints/rasa.txt constraints/
COPY retrieval retrieval
COPY gateway gateway
COPY connectors connectors
RUN pip install --no-cache-dir -c constraints/rasa.txt '.[rasa]'
COPY bot bot
COPY nlu_data nlu_data
RUN cd bot && rasa train --config config.yml --domain domain.yml --data ../nlu_data --out models \
      --fixed-model-name current
WORKDIR /app/bot
EXPOSE 5005 5055
# The endpoints (action server, tracker store, lock store) come from the environment.
CMD ["sh", "-c", "python -m gateway.rasa_endpoints /tmp/endpoints.yml && python -m rasa_server run --enable-api --interface 0.0.0.0 --port 5005 --model models/current.tar.gz --endpoints /tmp/endpoints.yml --credentials credentials.yml"]
