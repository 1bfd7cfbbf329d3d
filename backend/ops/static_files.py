"""``/static``: each file under a name with its content hash, cached for a year; plain names too.

Pages name static files by ``assets.url`` (``app.css`` as ``app.<hash>.css``): a changed file has a
new URL, so a browser may keep what it fetched for good (``immutable``: not even asked again on a
reload). The plain name, and a hashed name whose hash is no longer the file's (a page cached before
the file changed), still answer with the file as it is now, cached for a few minutes only.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import PurePath, PurePosixPath

from litestar import Router, get, head
from litestar.file_system import BaseLocalFileSystem
from litestar.params import FromPath
from litestar.response.file import ASGIFileResponse
from litestar.static_files import StaticFiles

from backend.auth.web.guards import PUBLIC
from backend.web import assets

IMMUTABLE = "public, max-age=31536000, immutable"
SHORT = "public, max-age=300"
HASHED = re.compile(r"^(?P<stem>.+)\.[0-9a-f]{12}(?P<suffix>\.[^./]+)?$")


def _files(cache_control: str) -> StaticFiles:
    return StaticFiles(
        is_html_mode=False,
        directories=[assets.STATIC_DIR],
        file_system=BaseLocalFileSystem(),
        send_as_attachment=False,
        headers={"Cache-Control": cache_control},
    )


FOREVER, FOR_NOW = _files(IMMUTABLE), _files(SHORT)


@cache
def _hashed_names() -> dict[str, str]:
    """Each file's hashed name (as ``assets.url`` gives it) → its own name, below ``/static/``."""
    files = (path for path in assets.STATIC_DIR.rglob("*") if path.is_file())
    names = [path.relative_to(assets.STATIC_DIR).as_posix() for path in files]
    hashed = {assets.url(name).removeprefix("/static/"): name for name in names}
    # A file added after its first asset() call has no hash yet: its plain name is not immutable.
    return {url: name for url, name in hashed.items() if url != name}


def resolve(name: str) -> tuple[str, StaticFiles]:
    """The file a static URL names, and how long its answer may be kept."""
    if (plain := _hashed_names().get(name)) is not None:
        return plain, FOREVER
    if (found := HASHED.match(PurePosixPath(name).name)) is not None:  # hashed, but not as it is now
        return str(PurePosixPath(name).with_name(found["stem"] + (found["suffix"] or ""))), FOR_NOW
    return name, FOR_NOW


@get("/static/{file_path:path}", name="static", opt=PUBLIC, include_in_schema=False)
async def static_file(file_path: FromPath[PurePath]) -> ASGIFileResponse:
    name, files = resolve(file_path.as_posix().lstrip("/"))
    return await files.handle(path=name, is_head_response=False)


@head("/static/{file_path:path}", name="static/head", opt=PUBLIC, include_in_schema=False)
async def static_file_head(file_path: FromPath[PurePath]) -> ASGIFileResponse:
    name, files = resolve(file_path.as_posix().lstrip("/"))
    return await files.handle(path=name, is_head_response=True)


def router() -> Router:
    return Router(path="/", route_handlers=[static_file, static_file_head], include_in_schema=False)
