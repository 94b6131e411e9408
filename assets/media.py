"""`/media/…`: local media files, served only through the signed URLs that
SignedFileSystemStorage gives out (in the API's `url` fields and the admin's previews).

Holding such a URL is the authorisation: the API and the admin give one only to whoever may
read the asset (its owner, moderators, staff), and it expires. Only an asset's own file is
served, never its sidecar or a file no asset owns. One byte range is answered (`Range:
bytes=…`), as browsers ask when they seek in a video. Object storage serves its own
presigned URLs instead.
"""

from __future__ import annotations

import re
import time

from django.http import FileResponse, HttpRequest, HttpResponse, JsonResponse

from assets import selectors
from assets.storage import SignedFileSystemStorage, media_storage, media_url_problem
from dramaplatform.api import error_body

# `bytes=first-last`, `bytes=first-` or `bytes=-suffix`; several ranges get the whole file.
RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
UNSATISFIABLE = "unsatisfiable"


def media_file(request: HttpRequest, name: str) -> HttpResponse:
    """The file of the asset stored at `name`, if the URL's signature is valid for it."""
    if request.method not in ("GET", "HEAD"):
        response = _error(405, f'Method "{request.method}" not allowed.')
        response["Allow"] = "GET, HEAD"
        return response
    storage = media_storage()
    if not isinstance(storage, SignedFileSystemStorage):
        return _error(404, "Media are not served from local files here.")
    token = request.GET.get("sig", "")
    if problem := media_url_problem(name, token):
        return _error(403, problem)
    asset = selectors.asset_with_file(name)
    if asset is None:
        return _error(404, "No asset file at this address.")
    try:
        handle = storage.open(name, "rb")
    except FileNotFoundError:
        return _error(404, "No asset file at this address.")
    size = handle.size
    display = asset.filename or name.rsplit("/", 1)[-1]
    wanted = _byte_range(request.headers.get("Range", ""), size)
    if wanted == UNSATISFIABLE:
        handle.close()
        response = _error(416, f"The file has {size} bytes.", code="range_not_satisfiable")
        response["Content-Range"] = f"bytes */{size}"
        return response
    if wanted is None:
        response = FileResponse(handle, content_type=asset.content_type, filename=display)
    else:
        first, last = wanted
        response = FileResponse(_Slice(handle, first, last - first + 1), status=206,
                                content_type=asset.content_type, filename=display)  # fmt: skip
        response["Content-Length"] = str(last - first + 1)
        response["Content-Range"] = f"bytes {first}-{last}/{size}"
    response["Accept-Ranges"] = "bytes"
    # Only the browser that was handed the URL keeps it, and no longer than it is valid.
    left = max(int(token.partition(".")[0]) - int(time.time()), 0)
    response["Cache-Control"] = f"private, max-age={left}"
    return response


def _byte_range(header: str, size: int) -> tuple[int, int] | str | None:
    """The first and last byte a `Range` header asks for; None for the whole file (no header,
    or one this does not answer), "unsatisfiable" for a range outside the file."""
    match = RANGE.match(header.strip())
    if match is None or match.groups() == ("", ""):
        return None
    first, last = match.groups()
    if not first:  # the last `last` bytes
        if int(last) == 0:
            return UNSATISFIABLE
        return max(size - int(last), 0), size - 1
    if int(first) >= size:
        return UNSATISFIABLE
    end = min(int(last), size - 1) if last else size - 1
    return None if end < int(first) else (int(first), end)


class _Slice:
    """`length` bytes of an open file from `first` on, read as a file: what a 206 streams."""

    def __init__(self, handle, first: int, length: int):
        handle.seek(first)
        self.handle, self.left = handle, length

    def read(self, size: int = -1) -> bytes:
        size = self.left if size < 0 else min(size, self.left)
        data = self.handle.read(size) if size > 0 else b""
        self.left -= len(data)
        return data

    def close(self) -> None:
        self.handle.close()


def _error(status: int, message: str, *, code: str = "") -> JsonResponse:
    return JsonResponse(error_body(status, message, code=code), status=status)
