"""The routing and geocoder clients against fake servers on 127.0.0.1 (what they ask, what they
make of good, wrong, huge and slow answers), and proofs checked by content and stored by hash."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from PIL import Image, ImageDraw

from backend.delivery import clients, proofs, roads, rules
from backend.delivery.geocoding import geocode

Answer = Callable[[str, dict[str, list[str]]], tuple[int, bytes]]


class FakeServer:
    def __init__(self, answer: Answer) -> None:
        self.answer = answer
        self.asked: list[tuple[str, dict[str, list[str]]]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                query = parse_qs(parts.query)
                server.asked.append((parts.path, query))
                status, body = server.answer(parts.path, query)
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> FakeServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def serve() -> Iterator[Callable[[Answer], FakeServer]]:
    started: list[FakeServer] = []

    def start(answer: Answer) -> FakeServer:
        server = FakeServer(answer).__enter__()
        started.append(server)
        return server

    yield start
    for server in started:
        server.__exit__()


POINTS = [(48.85, 2.35), (48.86, 2.34), (48.84, 2.40)]
TABLE = {
    "code": "Ok",
    "durations": [[0, 300.4, 600], [310, 0, 420], [590, 400, 0]],
    "distances": [[0, 2100, 4400.6], [2150, 0, 3000], [4300, 3100, 0]],
}


async def test_the_routing_server_gives_road_times_and_distances(serve) -> None:  # type: ignore[no-untyped-def]
    server = serve(lambda path, query: (200, json.dumps(TABLE).encode()))
    matrix = await roads.matrix_for(POINTS, rules.DEFAULT_SETTINGS, server.url)
    assert matrix.seconds[0] == [0, 300, 600]
    assert matrix.meters[0] == [0, 2100, 4401]
    path, query = server.asked[0]
    assert path == "/table/v1/driving/2.350000,48.850000;2.340000,48.860000;2.400000,48.840000"
    assert query == {"annotations": ["duration,distance"]}


@pytest.mark.parametrize(
    "answer",
    [
        (500, b"{}"),
        (200, b"not json"),
        (200, json.dumps({"code": "NoRoute"}).encode()),
        (200, json.dumps({**TABLE, "durations": [[0, None, 1], [1, 0, 1], [1, 1, 0]]}).encode()),
        (200, json.dumps({**TABLE, "distances": [[0, 1], [1, 0]]}).encode()),
        (200, b"[" + b"1," * (clients.MAX_ANSWER_BYTES // 2) + b"1]"),
    ],
)
async def test_a_wrong_answer_falls_back_to_the_estimate(serve, answer) -> None:  # type: ignore[no-untyped-def]
    server = serve(lambda path, query: answer)
    matrix = await roads.matrix_for(POINTS, rules.DEFAULT_SETTINGS, server.url)
    assert server.asked
    assert matrix == rules.estimated_matrix(POINTS, rules.DEFAULT_SETTINGS)


async def test_a_slow_server_is_given_up_on(serve, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(clients, "TIMEOUT_SECONDS", 0.3)

    def slow(path: str, query: dict[str, list[str]]) -> tuple[int, bytes]:
        time.sleep(1.5)
        return 200, json.dumps(TABLE).encode()

    server = serve(slow)
    began = time.monotonic()
    assert await roads.road_matrix(server.url, POINTS) is None
    assert time.monotonic() - began < 1.2


async def test_the_geocoder_finds_an_address(serve) -> None:  # type: ignore[no-untyped-def]
    found = [{"lat": "48.8606", "lon": "2.3376", "display_name": "1 Rue de Rivoli"}]
    server = serve(lambda path, query: (200, json.dumps(found).encode()))
    assert await geocode(server.url, "1 rue de Rivoli", "75001", "Paris", "FR") == (48.8606, 2.3376)
    path, query = server.asked[0]
    assert path == "/search"
    assert (query["street"], query["postalcode"], query["countrycodes"]) == (
        ["1 rue de Rivoli"],
        ["75001"],
        ["fr"],
    )
    assert await geocode("", "1 rue de Rivoli", "75001", "Paris", "FR") is None


@pytest.mark.parametrize("answer", [[], [{"lat": "95", "lon": "2"}], [{"lat": "x"}], {"error": "quota"}])
async def test_the_geocoder_nonsense_is_no_position(serve, answer) -> None:  # type: ignore[no-untyped-def]
    server = serve(lambda path, query: (200, json.dumps(answer).encode()))
    assert await geocode(server.url, "1 rue de Rivoli", "75001", "Paris", "FR") is None


# -- proofs ---------------------------------------------------------------------------------------


def _png(drawn: bool) -> bytes:
    image = Image.new("RGBA", (100, 50), (255, 255, 255, 0))
    if drawn:
        ImageDraw.Draw(image).line((5, 5, 90, 40), fill=(0, 0, 0, 255), width=2)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def test_proofs_are_stored_once_by_hash_and_read_back(tmp_path: Path) -> None:
    out = io.BytesIO()
    Image.new("RGB", (1600, 900), (10, 90, 200)).save(out, "PNG")
    kept = proofs.keep(tmp_path, out.getvalue(), _png(True))
    again = proofs.keep(tmp_path, out.getvalue(), _png(True))
    assert kept == again
    photo, media_type = proofs.read(tmp_path, kept.photo)
    assert media_type == "image/webp"  # not a phone's JPEG: re-encoded
    assert Image.open(io.BytesIO(photo)).size == (800, 450)
    assert proofs.read(tmp_path, kept.signature) == (_png(True), "image/png")
    assert len(list(tmp_path.rglob("*.*"))) == 2
    assert proofs.read(tmp_path, "../" + kept.photo[3:]) is None


def test_what_is_not_a_proof_is_refused(tmp_path: Path) -> None:
    with pytest.raises(proofs.ProofRejected) as refused:
        proofs.keep(tmp_path, b"%PDF-1.4 not a photo", _png(False))
    assert refused.value.problems == {"photo": "proof_not_an_image", "signature": "signature_empty"}
    with pytest.raises(proofs.ProofRejected) as big:
        proofs.keep(tmp_path, b"x" * (proofs.MAX_PHOTO_BYTES + 1), None)
    assert big.value.problems == {"photo": "proof_too_large"}
    jpeg = io.BytesIO()
    Image.new("RGB", (10, 10)).save(jpeg, "JPEG")
    with pytest.raises(proofs.ProofRejected) as not_png:
        proofs.keep(tmp_path, None, jpeg.getvalue())
    assert not_png.value.problems == {"signature": "proof_not_an_image"}
    assert list(tmp_path.iterdir()) == []


def _camera_jpeg(size: tuple[int, int], *, progressive: bool = False) -> bytes:
    """A JPEG as a camera writes it: EXIF with the orientation, the maker and the GPS position,
    XMP, a comment, and a motion photo's video after the picture."""
    image = Image.new("RGB", size, (10, 90, 200))
    ImageDraw.Draw(image).rectangle((4, 4, size[0] // 2, size[1] // 3), fill=(250, 200, 0))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotated: shown turned a quarter
    exif[0x010F] = "Maker of the phone"
    exif[0x8825] = {1: "N", 2: (48.0, 51.0, 24.0), 3: "E", 4: (2.0, 21.0, 7.0)}
    out = io.BytesIO()
    image.save(
        out,
        "JPEG",
        exif=exif.tobytes(),
        comment=b"home of the customer",
        xmp=b"<x:xmpmeta><exif:GPSLatitude>48,51</exif:GPSLatitude></x:xmpmeta>",
        progressive=progressive,
    )
    return out.getvalue() + b"ftypmp42 video of the doorstep"


@pytest.mark.parametrize("progressive", [False, True])
def test_a_phone_jpeg_is_kept_as_sent_without_its_metadata(tmp_path: Path, progressive: bool) -> None:
    sent = _camera_jpeg((640, 480), progressive=progressive)
    original = Image.open(io.BytesIO(sent))
    assert original.getexif().get_ifd(0x8825)  # the camera's GPS position is there
    assert b"xmpmeta" in sent
    kept = proofs.keep(tmp_path, sent, None)
    photo, media_type = proofs.read(tmp_path, kept.photo)  # type: ignore[misc]
    assert media_type == "image/jpeg"
    for secret in (b"Maker of the phone", b"GPSLatitude", b"home of the customer", b"video", b"xmpmeta"):
        assert secret not in photo
    stored = Image.open(io.BytesIO(photo))
    assert dict(stored.getexif()) == {0x0112: 6}  # the orientation alone: shown upright
    assert stored.getexif().get_ifd(0x8825) == {}
    assert stored.tobytes() == original.tobytes()  # the same picture, not re-encoded
    assert photo.endswith(b"\xff\xd9")


def test_a_jpeg_larger_than_a_phone_sends_is_re_encoded_without_metadata(tmp_path: Path) -> None:
    kept = proofs.keep(tmp_path, _camera_jpeg((3000, 2000)), None)
    photo, media_type = proofs.read(tmp_path, kept.photo)  # type: ignore[misc]
    assert media_type == "image/webp"
    stored = Image.open(io.BytesIO(photo))
    assert stored.size == (533, 800)  # turned upright, then resized
    assert not stored.getexif()


@pytest.mark.parametrize(
    "broken",
    [
        pytest.param(lambda jpeg: jpeg[: len(jpeg) // 2], id="cut off"),
        pytest.param(lambda jpeg: jpeg[:2] + b"\xff\xe1\xff\xff" + jpeg[6:], id="segment past the end"),
        pytest.param(lambda jpeg: b"\xff\xd8\xff\xe0" + b"\x00" * 40, id="header only"),
    ],
)
def test_a_broken_jpeg_is_not_a_picture(tmp_path: Path, broken) -> None:  # type: ignore[no-untyped-def]
    out = io.BytesIO()
    Image.new("RGB", (320, 240), (10, 90, 200)).save(out, "JPEG")
    with pytest.raises(proofs.ProofRejected) as refused:
        proofs.keep(tmp_path, broken(out.getvalue()), None)
    assert refused.value.problems == {"photo": "proof_not_an_image"}
    assert list(tmp_path.iterdir()) == []


def test_the_photo_formats_are_ready_once_the_app_is_imported() -> None:
    """Pillow imports its format plugins at its first ``Image.open``: a server just started would
    make the first drop-off photo (and the 15 sent beside it) wait for those imports."""
    probe = "import sys, backend.catalog.photos; print('PIL.JpegImagePlugin' in sys.modules)"
    repo = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=repo, capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip() == "True"
