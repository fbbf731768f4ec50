"""FastAPI scoring service: /predict, /health, /ready, /metadata and Prometheus /metrics.

Run it with `make serve`, or with uvicorn:
    uvicorn {{ cookiecutter.package_name }}.serve.app:app
Settings come from the environment (see settings.py); the model from SERVE_MODEL_DIR. Scored
rows can be logged for the drift monitor (SERVE_PREDICTION_LOG, off by default; see
prediction_log.py).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from importlib import metadata as package_metadata
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request, Response
from fastapi.exceptions import RequestValidationError
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest
from pydantic import BaseModel, TypeAdapter, ValidationError

from {{ cookiecutter.package_name }}.contract import TARGET
from {{ cookiecutter.package_name }}.serve.prediction_log import PredictionLog
from {{ cookiecutter.package_name }}.serve.runtime import (
    Model,
    ServingModelError,
    load_serving,
)
from {{ cookiecutter.package_name }}.serve.schemas import (
    Liveness,
    Prediction,
    PredictionResponse,
    Readiness,
    Record,
    columns_of,
    request_body_schema,
)
from {{ cookiecutter.package_name }}.serve.settings import ServeSettings

LOG = logging.getLogger("{{ cookiecutter.package_name }}.serve")
REQUESTS = Counter("http_requests_total", "Requests answered", ["method", "path", "status"])
LATENCY = Histogram(
    "http_request_duration_seconds",
    "Time to answer a request",
    ["path"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0),
)
SCORE_NAME, SCORE_HELP, SCORE_BUCKETS = TARGET.task.score_histogram()
PREDICTIONS = Histogram(SCORE_NAME, SCORE_HELP, buckets=SCORE_BUCKETS)  # probability or value
RECORDS = TypeAdapter(list[Record])


class Service:
    """The loaded model and what is known about it; `model` is None until ready."""

    def __init__(self, settings: ServeSettings) -> None:
        self.settings = settings
        self.model: Model | None = None
        self.metadata: dict[str, Any] = {}
        self.problem = "model not loaded yet"
        self.prediction_log = (
            PredictionLog(settings.prediction_log, settings.prediction_log_sample)
            if settings.prediction_log
            else None
        )

    def load(self) -> None:
        try:
            self.model, self.metadata = load_serving(self.settings.model_dir)
        except ServingModelError as error:
            self.problem = str(error)
            LOG.error("model not loaded: %s", error)

    def ready_model(self) -> Model:
        if self.model is None:
            raise HTTPException(status_code=503, detail=self.problem)
        return self.model


def get_service(request: Request) -> Service:
    return request.app.state.service


ServiceDep = Annotated[Service, Depends(get_service)]

health = APIRouter(tags=["health"])
scoring = APIRouter(tags=["model"])


@health.get("/health", response_model=Liveness)
def liveness() -> Liveness:
    """The process answers; says nothing about the model (see /ready)."""
    return Liveness(status="ok")


@health.get("/ready", response_model=Readiness, responses={503: {"description": "No model"}})
def readiness(service: ServiceDep) -> Readiness:
    service.ready_model()
    return Readiness(
        status="ready",
        model_version=str(service.metadata.get("version")),
        runtime=str(service.metadata.get("runtime")),
    )


@scoring.get("/metadata", responses={503: {"description": "No model"}})
def model_metadata(service: ServiceDep) -> dict[str, Any]:
    """Model version, runtime, commit, golden-set metrics and the input contract."""
    service.ready_model()
    return {**service.metadata, "input_schema": Record.model_json_schema()}


def parse_records(body: bytes, max_rows: int) -> list[Any]:
    """Decode the body into a list of records; 413 when there are too many to validate."""
    try:
        payload = json.loads(body)
    except ValueError as error:
        raise RequestValidationError(
            [{"type": "json_invalid", "loc": ("body",), "msg": f"invalid JSON: {error}"}]
        ) from None
    records = payload if isinstance(payload, list) else [payload]
    if len(records) > max_rows:
        raise HTTPException(
            status_code=413,
            detail=f"{len(records)} records in one request; the limit is {max_rows} "
            "(SERVE_MAX_BATCH_ROWS). Split the batch.",
        )
    if not records:
        raise RequestValidationError(
            [{"type": "too_short", "loc": ("body",), "msg": "send at least one record"}]
        )
    try:
        return RECORDS.validate_python(records)
    except ValidationError as error:
        details = [
            {**issue, "loc": ("body", *issue["loc"])}
            for issue in error.errors(include_url=False, include_context=False)
        ]
        raise RequestValidationError(details) from None


@scoring.post(
    "/predict",
    response_model=PredictionResponse,
    responses={
        413: {"description": "More records than SERVE_MAX_BATCH_ROWS"},
        422: {"description": "A record breaks the contract; `detail` names the field"},
        503: {"description": "No model"},
    },
)
async def predict(request: Request, service: ServiceDep) -> BaseModel:  # PredictionResponse
    """Score one record or a list of records."""
    model = service.ready_model()
    records = parse_records(await request.body(), service.settings.max_batch_rows)
    columns = columns_of(records)
    result = model.predict(columns)
    PREDICTIONS.observe(float(result.score.mean()))
    predictions = [Prediction(**answer) for answer in result.records()]
    request.state.rows = len(records)
    version = str(service.metadata.get("version"))
    if service.prediction_log:
        service.prediction_log.record(columns, result, version)
    return PredictionResponse(model_version=version, predictions=predictions)


def document_request_body(app: FastAPI, max_rows: int) -> None:
    """/predict reads its raw body (to answer 413 before validating); describe it in OpenAPI."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = generate()
            schema["paths"]["/predict"]["post"]["requestBody"] = {
                "required": True,
                "content": {"application/json": {"schema": request_body_schema(max_rows)}},
            }
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


class JsonFormatter(logging.Formatter):
    """One JSON object per line, so logs can be searched without parsing prose."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {"level": record.levelname, "logger": record.name, "message": record.getMessage()}
        entry.update(getattr(record, "fields", {}))
        return json.dumps(entry)


def configure_logging() -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    LOG.handlers[:] = [handler]
    LOG.setLevel(logging.INFO)
    LOG.propagate = False


def create_app(settings: ServeSettings | None = None) -> FastAPI:
    settings = settings or ServeSettings.from_env()
    configure_logging()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.service.load()
        yield

    about = package_metadata.metadata("{{ cookiecutter.project_slug }}")
    app = FastAPI(
        title=about["Name"],
        description=about["Summary"],
        version=about["Version"],
        lifespan=lifespan,
    )
    app.state.service = Service(settings)
    app.include_router(health)
    app.include_router(scoring)
    document_request_body(app, settings.max_batch_rows)

    @app.get("/metrics", include_in_schema=False)
    def metrics() -> Response:
        """Prometheus metrics: request counts and latencies, prediction distribution."""
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    @app.middleware("http")
    async def observe(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        start = time.perf_counter()
        response = await call_next(request)
        seconds = time.perf_counter() - start
        path = request.scope.get("route").path if request.scope.get("route") else "other"
        REQUESTS.labels(request.method, path, str(response.status_code)).inc()
        LATENCY.labels(path).observe(seconds)
        fields = {
            "method": request.method,
            "path": request.url.path,
            "status": response.status_code,
            "ms": round(seconds * 1000, 2),
            "rows": getattr(request.state, "rows", None),
        }
        LOG.info("request", extra={"fields": fields})
        return response

    return app


app = create_app()
