"""Photos a department's field staff attach to a 处置完成 report.

``POST /web/photos`` — the body is the image itself (``fetch(url, {method: "POST", body: file})``); its type is
decided by its first bytes (JPEG, PNG, WebP, GIF), never by the name or the declared type; at most
``MAX_PHOTO_BYTES``. Stored as ``<random>.<ext>`` under ``settings.data_dir/photos``; answers ``{"url": ...}``, which
the page passes as ``photo_url`` to the ``handled`` action. ``GET /web/photos/<name>`` serves it back to signed-in
staff only.
"""

from __future__ import annotations

import re
import secrets
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, JSONResponse

from connectors.api.errors import error_response
from connectors.web.session import current_user
from connectors.api.body_guard import read_limited_body

MAX_PHOTO_BYTES = 8 * 1024 * 1024
"""A phone photo (JPEG, 12 MP) is 2–5 MB; the page scales larger ones down before sending."""
UPLOAD_PATH = "/web/photos"
BODY_LIMITS = {UPLOAD_PATH: MAX_PHOTO_BYTES}
UPLOAD_ROLES = ("department", "agent", "admin")
NAME_PATTERN = re.compile(r"^[A-Za-z0-9_-]{16,64}\.(jpg|png|webp|gif)$")
MEDIA_TYPES = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp", "gif": "image/gif"}

router = APIRouter(tags=["web"], include_in_schema=False)


def sniff_image(data: bytes) -> str | None:
    """The file extension for an image recognised by its magic bytes, or None."""
    if data.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    return None


def photo_dir(request: Request) -> Path:
    return request.app.state.services.settings.data_dir / "photos"


@router.post(UPLOAD_PATH)
async def upload_photo(request: Request) -> JSONResponse:
    """Store one image; ``{"url": "/web/photos/<name>"}`` (201)."""
    user = current_user(request)
    if user is None:
        return error_response(401, "sign_in_required", "请先登录", "sign in first")
    if user.role not in UPLOAD_ROLES:
        return error_response(403, "forbidden", "当前角色无权上传照片", f"role {user.role!r} may not upload photos")
    data = await read_limited_body(request, MAX_PHOTO_BYTES)
    if data is None:
        limit_mb = MAX_PHOTO_BYTES // (1024 * 1024)
        return error_response(413, "photo_too_large", f"照片过大（上限 {limit_mb} MB）", f"photo larger than {MAX_PHOTO_BYTES} bytes")
    if not data:
        return error_response(400, "photo_empty", "照片为空", "empty body")
    ext = sniff_image(data)
    if ext is None:
        return error_response(415, "photo_unsupported", "只接受 JPEG、PNG、WebP 或 GIF 图片", "not a JPEG, PNG, WebP or GIF image")
    folder = photo_dir(request)
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{secrets.token_urlsafe(18)}.{ext}"
    (folder / name).write_bytes(data)
    return JSONResponse({"url": f"{UPLOAD_PATH}/{name}", "bytes": len(data), "type": MEDIA_TYPES[ext]}, status_code=201)


@router.get(UPLOAD_PATH + "/{name}", response_model=None)
async def get_photo(name: str, request: Request) -> FileResponse | JSONResponse:
    """A stored photo, for signed-in staff (404 for anything else, so names cannot be probed)."""
    if current_user(request) is None:
        return error_response(401, "sign_in_required", "请先登录", "sign in first")
    path = photo_dir(request) / name
    if not NAME_PATTERN.match(name) or not path.is_file():
        return error_response(404, "photo_not_found", "照片不存在", "no such photo")
    ext = name.rsplit(".", 1)[1]
    return FileResponse(path, media_type=MEDIA_TYPES[ext], headers={"X-Content-Type-Options": "nosniff",
                                                                    "Cache-Control": "private, max-age=3600"})
