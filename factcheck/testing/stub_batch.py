"""The stub server's local stand-in for OpenAI's Files and Batch APIs.

`POST /v1/files` (multipart, `purpose`), `GET /v1/files/{id}`, `GET /v1/files/{id}/content`,
`POST /v1/batches`, `GET /v1/batches/{id}`, `POST /v1/batches/{id}/cancel`. A batch is processed
in the background with the same responder as live calls: validating → in_progress → finalizing
→ completed (or failed / cancelled). Lines fail at `batch_line_failure_rate` (they go to the
error file); with `batch_content_faults` the truncated / schema-breaking rates apply to lines
too. Output lines are shuffled (OpenAI does not guarantee order). Objects follow the SDK's own
types (`openai.types.Batch`, `FileObject`) and the documented per-line formats.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from email import policy
from email.parser import BytesParser
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from factcheck.testing.stub_server import CONTENT_FAULTS, StubState, openai_error

ENDPOINT = "/v1/chat/completions"
FILE_PURPOSES = {"batch", "fine-tune", "assistants", "vision", "user_data"}


def parse_multipart(content_type: str, body: bytes) -> dict[str, tuple[str | None, bytes]]:
    """Form fields of a multipart/form-data body: name → (filename, bytes). Stdlib only."""
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    message = BytesParser(policy=policy.HTTP).parsebytes(head + body)
    fields: dict[str, tuple[str | None, bytes]] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if name:
            payload = part.get_payload(decode=True) or b""
            fields[str(name)] = (part.get_filename(), payload)
    return fields


def new_file(state: StubState, filename: str, purpose: str, data: bytes) -> dict[str, Any]:
    """Store `data` as a file object (an `openai.types.FileObject`) and return it."""
    created = int(time.time())
    obj = {
        "id": f"file-{uuid.uuid4().hex[:24]}",
        "object": "file",
        "bytes": len(data),
        "created_at": created,
        "expires_at": created + 30 * 86400,
        "filename": filename,
        "purpose": purpose,
        "status": "processed",
        "status_details": None,
    }
    state.files[obj["id"]] = (obj, data)
    return obj


def batch_routes(state: StubState) -> list[Route]:
    """The Files and Batch routes over `state`."""

    async def upload(request: Request) -> Response:
        state.stats["requests"] += 1
        fields = parse_multipart(request.headers.get("content-type", ""), await request.body())
        purpose = fields.get("purpose", (None, b""))[1].decode()
        filename, data = fields.get("file", (None, b""))
        if purpose not in FILE_PURPOSES or filename is None:
            return openai_error(400, "need a 'file' and a valid 'purpose'", "invalid_request_error")
        state.stats["files_uploaded"] += 1
        return JSONResponse(new_file(state, filename, purpose, data))

    async def file_info(request: Request) -> Response:
        state.stats["requests"] += 1
        found = state.files.get(request.path_params["file_id"])
        if found is None:
            return openai_error(404, "No such file", "invalid_request_error")
        return JSONResponse(found[0])

    async def file_content(request: Request) -> Response:
        state.stats["requests"] += 1
        state.stats["file_downloads"] += 1
        found = state.files.get(request.path_params["file_id"])
        if found is None:
            return openai_error(404, "No such file", "invalid_request_error")
        return Response(found[1], media_type="application/octet-stream")

    async def create_batch(request: Request) -> Response:
        state.stats["requests"] += 1
        params = json.loads(await request.body() or b"{}")
        found = state.files.get(str(params.get("input_file_id")))
        if found is None or found[0]["purpose"] != "batch":
            return openai_error(400, "input_file_id must be a batch file", "invalid_request_error")
        if params.get("endpoint") != ENDPOINT or params.get("completion_window") != "24h":
            return openai_error(
                400, f"stub supports endpoint {ENDPOINT} and window 24h", "invalid_request_error"
            )
        created = int(time.time())
        batch = {
            "id": f"batch_{uuid.uuid4().hex[:24]}",
            "object": "batch",
            "endpoint": ENDPOINT,
            "model": state.config.model,
            "errors": None,
            "input_file_id": found[0]["id"],
            "completion_window": "24h",
            "status": "validating",
            "output_file_id": None,
            "error_file_id": None,
            "created_at": created,
            "in_progress_at": None,
            "expires_at": created + 86400,
            "finalizing_at": None,
            "completed_at": None,
            "failed_at": None,
            "expired_at": None,
            "cancelling_at": None,
            "cancelled_at": None,
            "request_counts": {"total": 0, "completed": 0, "failed": 0},
            "usage": None,
            "metadata": params.get("metadata"),
        }
        state.batches[batch["id"]] = batch
        state.stats["batches_created"] += 1
        task = asyncio.create_task(process_batch(state, batch))
        state.tasks.add(task)
        task.add_done_callback(state.tasks.discard)
        return JSONResponse(batch)

    async def get_batch(request: Request) -> Response:
        state.stats["requests"] += 1
        state.stats["batch_polls"] += 1
        batch = state.batches.get(request.path_params["batch_id"])
        if batch is None:
            return openai_error(404, "No such batch", "invalid_request_error")
        return JSONResponse(batch)

    async def cancel_batch(request: Request) -> Response:
        state.stats["requests"] += 1
        batch = state.batches.get(request.path_params["batch_id"])
        if batch is None:
            return openai_error(404, "No such batch", "invalid_request_error")
        if batch["status"] in ("validating", "in_progress", "finalizing"):
            batch["status"] = "cancelling"
            batch["cancelling_at"] = int(time.time())
        return JSONResponse(batch)

    return [
        Route("/v1/files", upload, methods=["POST"]),
        Route("/v1/files/{file_id}", file_info, methods=["GET"]),
        Route("/v1/files/{file_id}/content", file_content, methods=["GET"]),
        Route("/v1/batches", create_batch, methods=["POST"]),
        Route("/v1/batches/{batch_id}", get_batch, methods=["GET"]),
        Route("/v1/batches/{batch_id}/cancel", cancel_batch, methods=["POST"]),
    ]


def validate_lines(data: bytes) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Parsed request lines and `BatchError`-shaped problems (bad JSON, url, duplicate ids)."""
    lines: list[dict[str, Any]] = []
    errors: list[dict[str, Any]] = []
    seen: set[str] = set()
    for number, raw in enumerate(data.decode("utf-8", errors="replace").splitlines(), start=1):
        try:
            line = json.loads(raw)
        except json.JSONDecodeError:
            errors.append(_batch_error("invalid_json_line", number, "line is not JSON"))
            continue
        custom_id = line.get("custom_id") if isinstance(line, dict) else None
        if not isinstance(custom_id, str) or not custom_id:
            errors.append(_batch_error("missing_custom_id", number, "custom_id is required"))
        elif custom_id in seen:
            errors.append(_batch_error("duplicate_custom_id", number, f"duplicate {custom_id}"))
        elif line.get("method") != "POST" or line.get("url") != ENDPOINT:
            errors.append(_batch_error("invalid_url", number, f"need POST {ENDPOINT}"))
        elif not isinstance(line.get("body"), dict):
            errors.append(_batch_error("invalid_body", number, "body must be an object"))
        else:
            seen.add(custom_id)
            lines.append(line)
    return lines, errors


async def process_batch(state: StubState, batch: dict[str, Any]) -> None:
    """Run a batch to a terminal status, writing its output and error files."""
    cfg = state.config
    await asyncio.sleep(cfg.batch_validating_seconds)
    lines, problems = validate_lines(state.files[batch["input_file_id"]][1])
    if problems or not lines:
        problems = problems or [_batch_error("empty_file", None, "no requests in the file")]
        batch.update(status="failed", failed_at=int(time.time()))
        batch["errors"] = {"object": "list", "data": problems}
        return
    if batch["status"] == "validating":
        batch.update(status="in_progress", in_progress_at=int(time.time()))
    counts = batch["request_counts"]
    counts["total"] = len(lines)
    outputs: list[dict[str, Any]] = []
    failures: list[dict[str, Any]] = []
    usage = {"input_tokens": 0, "output_tokens": 0}
    for line in lines:
        if batch["status"] == "cancelling":
            failures.append(_output_line(line["custom_id"], None, "batch_cancelled"))
            continue
        await asyncio.sleep(cfg.batch_line_seconds)
        state.stats["batch_lines"] += 1
        if state.rng.random() < cfg.batch_line_failure_rate:
            state.stats["batch_line_failures"] += 1
            status, body = 500, {"error": {"message": "stub line failure", "type": "server_error"}}
        else:
            fault = state.draw_fault(CONTENT_FAULTS) if cfg.batch_content_faults else None
            status, body = state.complete(line["body"], fault, prefix="batch_")
        if status == 200:
            usage["input_tokens"] += body["usage"]["prompt_tokens"]
            usage["output_tokens"] += body["usage"]["completion_tokens"]
            outputs.append(_output_line(line["custom_id"], (status, body), None))
            counts["completed"] += 1
        else:
            failures.append(_output_line(line["custom_id"], (status, body), None))
            counts["failed"] += 1
    if batch["status"] != "cancelling":
        batch.update(status="finalizing", finalizing_at=int(time.time()))
    if cfg.shuffle_batch_output:
        state.rng.shuffle(outputs)
        state.rng.shuffle(failures)
    for key, rows, suffix in (
        ("output_file_id", outputs, "output"),
        ("error_file_id", failures, "error"),
    ):
        if rows:
            name = f"{batch['id']}_{suffix}.jsonl"
            batch[key] = new_file(state, name, "batch_output", _jsonl(rows))["id"]
    batch["usage"] = {
        **usage,
        "total_tokens": usage["input_tokens"] + usage["output_tokens"],
        "input_tokens_details": {"cached_tokens": 0},
        "output_tokens_details": {"reasoning_tokens": 0},
    }
    now = int(time.time())
    if batch["status"] == "cancelling":
        batch.update(status="cancelled", cancelled_at=now)
    else:
        batch.update(status="completed", completed_at=now)


def _output_line(
    custom_id: str, response: tuple[int, dict[str, Any]] | None, error_code: str | None
) -> dict[str, Any]:
    """One line of an output or error file (OpenAI's `BatchRequestOutput`)."""
    return {
        "id": f"batch_req_{uuid.uuid4().hex[:24]}",
        "custom_id": custom_id,
        "response": None
        if response is None
        else {
            "status_code": response[0],
            "request_id": f"req_{uuid.uuid4().hex[:24]}",
            "body": response[1],
        },
        "error": None
        if error_code is None
        else {"code": error_code, "message": f"request not processed: {error_code}"},
    }


def _batch_error(code: str, line: int | None, message: str) -> dict[str, Any]:
    return {"code": code, "line": line, "message": message, "param": None}


def _jsonl(rows: list[dict[str, Any]]) -> bytes:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode("utf-8")
