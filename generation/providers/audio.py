"""Audio as the speech services send it: plain data in, plain data out."""

from __future__ import annotations

# The size a WAV streamed as it is spoken gives for what it did not know yet.
STREAMED_SIZE = 0xFFFFFFFF


def read_wav(data: bytes) -> tuple[bytes, float]:
    """The WAV with true sizes in its header, and its length in seconds; raises ValueError for
    bytes that are not a WAV.

    A WAV streamed as it is spoken gives 0xFFFFFFFF (or 0) for sizes it did not know yet: the
    audio is then all the bytes that came, and the header is rewritten to say so.
    """
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise ValueError("not a RIFF/WAVE file")
    position, bytes_per_second, block = 12, 0, 1
    while position + 8 <= len(data):
        chunk, size = (
            data[position : position + 4],
            int.from_bytes(data[position + 4 : position + 8], "little"),
        )
        start = position + 8
        if chunk == b"fmt ":
            if size < 16 or start + 16 > len(data):
                raise ValueError("a fmt chunk too short to read")
            channels = int.from_bytes(data[start + 2 : start + 4], "little")
            rate = int.from_bytes(data[start + 4 : start + 8], "little")
            bits = int.from_bytes(data[start + 14 : start + 16], "little")
            block = max(1, channels * bits // 8)
            bytes_per_second = rate * block
        elif chunk == b"data":
            if not bytes_per_second:
                raise ValueError("no usable fmt chunk before the audio")
            arrived = len(data) - start
            if size in (0, STREAMED_SIZE) or size > arrived:
                size = arrived - arrived % block
                fixed = bytearray(data[: start + size])
                fixed[position + 4 : position + 8] = size.to_bytes(4, "little")
                fixed[4:8] = (len(fixed) - 8).to_bytes(4, "little")
                data = bytes(fixed)
            elif int.from_bytes(data[4:8], "little") == STREAMED_SIZE:
                data = data[:4] + (len(data) - 8).to_bytes(4, "little") + data[8:]
            return data, size / bytes_per_second
        if size == STREAMED_SIZE:
            break
        position = start + size + (size & 1)
    raise ValueError("no audio (data chunk)")
