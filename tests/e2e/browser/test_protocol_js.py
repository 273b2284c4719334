"""The page's protocol.js and vtryon.domain.protocol read each other's messages byte for byte."""

from __future__ import annotations

import base64
from collections.abc import Callable

import pytest

from tests.e2e.browser.conftest import Tab
from vtryon.domain.errors import ProtocolError
from vtryon.domain.protocol import HEADER_SIZE, ResultHeader, decode_frame, decode_result, encode_result

pytestmark = pytest.mark.browser

_ENCODE = """async () => {
  const p = await import("/js/protocol.js");
  const payload = new Uint8Array([255, 216, 255, 1, 2, 3, 0, 0, 7]);
  const buffer = p.encodeFrame({frameNumber: 42, timestamp: 1732240000123.5, format: "webp",
                                width: 640, height: 480}, payload);
  return btoa(String.fromCharCode(...new Uint8Array(buffer)));
}"""

_DECODE = """async (b64) => {
  const p = await import("/js/protocol.js");
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  try {
    const {header, payload} = p.decodeBinary(bytes.buffer);
    return {header, payload: Array.from(payload)};
  } catch (err) {
    return {error: err.code};
  }
}"""


def test_a_frame_encoded_by_the_page_decodes_on_the_server(open_tab: Callable[..., Tab], server: str) -> None:
    tab = open_tab(server)  # any page of ours can import the module
    message = base64.b64decode(tab.page.evaluate(_ENCODE))
    header, payload = decode_frame(message, max_payload=1 << 20)
    assert (header.frame_number, header.timestamp, header.format) == (42, 1732240000123.5, "webp")
    assert (header.width, header.height, header.image_size) == (640, 480, 9)
    assert bytes(payload) == bytes([255, 216, 255, 1, 2, 3, 0, 0, 7])  # NULs in the image survive


def test_a_result_encoded_by_the_server_decodes_in_the_page(
    open_tab: Callable[..., Tab], server: str
) -> None:
    tab = open_tab(server)  # any page of ours can import the module
    payload = b"\xff\xd8\xff\x00jpeg"
    header = ResultHeader(frame_number=7, timestamp=1.5, image_size=len(payload), hands=1, nails=5)
    decoded = tab.page.evaluate(_DECODE, base64.b64encode(encode_result(header, payload)).decode())
    assert decoded["header"]["frame_number"] == 7 and decoded["header"]["nails"] == 5
    assert bytes(decoded["payload"]) == payload


_HEAD = b'{"type":"result","frame_number":1,"timestamp":2.0,"image_size":5}'


@pytest.mark.parametrize(
    ("message", "code"),
    [
        (b"{}", "short_message"),
        (_HEAD.ljust(HEADER_SIZE - 2, b"\0") + b"x\0", "bad_padding"),
        (_HEAD.ljust(HEADER_SIZE, b"\0") + b"abc", "size_mismatch"),
        (b"not json".ljust(HEADER_SIZE, b"\0"), "bad_header"),
        (b'{"type":"result","image_size":0}'.ljust(HEADER_SIZE, b"\0"), "bad_header"),
    ],
    ids=["short", "padding", "size", "json", "fields"],
)
def test_the_page_rejects_what_the_server_would(
    open_tab: Callable[..., Tab], server: str, message: bytes, code: str
) -> None:
    tab = open_tab(server)  # any page of ours can import the module
    assert tab.page.evaluate(_DECODE, base64.b64encode(message).decode()) == {"error": code}
    with pytest.raises(ProtocolError) as raised:
        decode_result(message, max_payload=1 << 20)
    assert raised.value.code == code
