# Gateway: FastAPI, channels, retrieval (Python 3.11).
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY constraints/gateway.txt constraints/
COPY retrieval retrieval
COPY gateway gateway
COPY connectors connectors
RUN pip install --no-cache-dir -c constraints/gateway.txt '.[gateway]'
COPY knowledge_base knowledge_base
# One encoder thread per request (see gateway/launcher.py).
ENV HOST=0.0.0.0 PORT=8000 DATA_DIR=/data OMP_NUM_THREADS=1
EXPOSE 8000
CMD ["sh", "-c", "uvicorn gateway.app:app --host $HOST --port $PORT"]
