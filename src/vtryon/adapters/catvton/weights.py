"""Where CatVTON's weights live, whether they are all there, and fetching them where a network exists.

Nothing here imports torch: ``vtryon weights check`` and the start-up check must stay cheap. The three
sources are the ones upstream CatVTON uses; all of them are CC BY-NC-SA 4.0 (non-commercial), which is
why every message that points users at them says so.
"""

from __future__ import annotations

import json
import struct
from dataclasses import dataclass
from pathlib import Path

from vtryon.domain.errors import ErrorCode, NotReady

__all__ = (
    "ATTENTION_FILE",
    "ATTENTION_KEY_COUNT",
    "LICENCE_NOTICE",
    "SOURCES",
    "WeightPaths",
    "default_paths",
    "missing",
    "pull",
    "resolve_attention",
    "verify",
)

LICENCE_NOTICE = (
    "CatVTON weights (zhengchong/CatVTON, the SD-1.5 inpainting UNet and sd-vae-ft-mse as used by CatVTON) "
    "are licensed CC BY-NC-SA 4.0: non-commercial use only, attribution required, share alike."
)

#: Path of the self-attention checkpoint inside the zhengchong/CatVTON repository.
ATTENTION_FILE = "mix-48k-1024/attention/model.safetensors"
#: Upstream saves 5 tensors (to_q, to_k, to_v, to_out.0 weight and bias) for each of SD-1.5's 16 attn1.
ATTENTION_KEY_COUNT = 80

#: (folder under the pull destination, repository, files) — exactly what inference needs, nothing more.
SOURCES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    (
        "stable-diffusion-inpainting",
        "booksforcharlie/stable-diffusion-inpainting",
        ("unet/config.json", "unet/diffusion_pytorch_model.safetensors", "scheduler/scheduler_config.json"),
    ),
    ("sd-vae-ft-mse", "stabilityai/sd-vae-ft-mse", ("config.json", "diffusion_pytorch_model.safetensors")),
    ("CatVTON", "zhengchong/CatVTON", (ATTENTION_FILE,)),
)
#: Older mirrors may only hold the pickled weights; the loader reads either.
_FALLBACKS = {"unet/diffusion_pytorch_model.safetensors": ("unet/diffusion_pytorch_model.bin",)}


@dataclass(frozen=True, slots=True)
class WeightPaths:
    """The three local paths the engine loads from (what settings and CLI flags point at)."""

    base: Path
    vae: Path
    attention: Path


def default_paths(dest: Path) -> WeightPaths:
    """Where :func:`pull` puts each part under ``dest``."""
    return WeightPaths(
        base=dest / SOURCES[0][0], vae=dest / SOURCES[1][0], attention=dest / SOURCES[2][0] / ATTENTION_FILE
    )


def resolve_attention(attention: Path) -> Path:
    """Accept the checkpoint file itself, its folder, or a CatVTON repository root."""
    if attention.is_dir():
        for candidate in (attention / "model.safetensors", attention / ATTENTION_FILE):
            if candidate.is_file():
                return candidate
        return attention / "model.safetensors"
    return attention


def _weights_file(folder: Path) -> Path | None:
    for name in ("diffusion_pytorch_model.safetensors", "diffusion_pytorch_model.bin"):
        if (folder / name).is_file():
            return folder / name
    return None


def missing(base: Path, vae: Path, attention: Path) -> list[str]:
    """Name every file the engine needs that is not there (empty list: all present)."""
    gaps = [
        str(path)
        for path in (
            base / "unet" / "config.json",
            base / "scheduler" / "scheduler_config.json",
            vae / "config.json",
        )
        if not path.is_file()
    ]
    for folder in (base / "unet", vae):
        if _weights_file(folder) is None:
            gaps.append(str(folder / "diffusion_pytorch_model.safetensors"))
    if not resolve_attention(attention).is_file():
        gaps.append(str(resolve_attention(attention)))
    return sorted(gaps)


def _safetensors_header(path: Path) -> dict[str, object]:
    """Read only the JSON header (a few kB) so checking a 3 GB file costs nothing."""
    with path.open("rb") as handle:
        raw = handle.read(8)
        if len(raw) != 8:
            raise ValueError("shorter than a safetensors header")
        (length,) = struct.unpack("<Q", raw)
        if length > 100_000_000:
            raise ValueError(f"header length {length} is not plausible")
        header = json.loads(handle.read(length))
    if not isinstance(header, dict):
        raise ValueError("header is not a JSON object")
    header.pop("__metadata__", None)
    return header


def verify(paths: WeightPaths) -> list[str]:
    """Check that the files are present and look like what upstream publishes; list every problem."""
    problems = [f"missing: {name}" for name in missing(paths.base, paths.vae, paths.attention)]
    if problems:
        return problems
    for config in (paths.base / "unet" / "config.json", paths.vae / "config.json"):
        try:
            json.loads(config.read_text())
        except (OSError, ValueError) as error:
            problems.append(f"unreadable config {config}: {error}")
    unet_config = paths.base / "unet" / "config.json"
    try:
        in_channels = json.loads(unet_config.read_text()).get("in_channels")
        if in_channels != 9:
            problems.append(f"{unet_config}: in_channels is {in_channels}, an inpainting UNet has 9")
    except (OSError, ValueError):
        pass
    tensors = [f for f in (_weights_file(paths.base / "unet"), _weights_file(paths.vae)) if f is not None]
    for path in [*tensors, resolve_attention(paths.attention)]:
        if path.suffix != ".safetensors":
            continue
        try:
            header = _safetensors_header(path)
        except (OSError, ValueError) as error:
            problems.append(f"corrupt safetensors file {path}: {error}")
            continue
        if path == resolve_attention(paths.attention):
            problems.extend(_attention_problems(path, header))
    return problems


def _attention_problems(path: Path, header: dict[str, object]) -> list[str]:
    """The published checkpoint holds ``{8k}.to_{q,k,v}.weight`` and ``{8k}.to_out.0.{weight,bias}``."""
    suffixes = ("to_q.weight", "to_k.weight", "to_v.weight", "to_out.0.weight", "to_out.0.bias")
    odd = sorted(key for key in header if key.split(".", 1)[-1] not in suffixes)
    problems = [f"{path}: keys not in CatVTON's layout: {', '.join(odd[:5])}"] if odd else []
    if len(header) % len(suffixes):
        problems.append(f"{path}: {len(header)} tensors, not a multiple of {len(suffixes)}")
    return problems


def pull(dest: Path) -> WeightPaths:
    """Download exactly the files CatVTON inference needs into ``dest`` and verify them.

    Raises ``NotReady`` naming what is still missing when the hub cannot be reached (no network, or
    ``HF_HUB_OFFLINE=1``). Files already present are not fetched again.
    """
    try:
        from huggingface_hub import hf_hub_download
    except ImportError as error:  # the `diffusion` extra is not installed
        raise NotReady(
            "huggingface_hub is not installed (pip install 'vtryon[diffusion]'); cannot pull weights"
        ) from error

    failures: list[str] = []
    for folder, repo, files in SOURCES:
        for filename in files:
            choices = (filename, *_FALLBACKS.get(filename, ()))
            if any((dest / folder / choice).is_file() for choice in choices):
                continue
            errors: list[str] = []
            for choice in choices:
                try:
                    hf_hub_download(repo, choice, local_dir=dest / folder)
                    break
                except Exception as error:  # the hub raises many kinds (offline, HTTP, DNS): all mean missing
                    errors.append(type(error).__name__)
            else:
                failures.append(f"{repo}/{filename} -> {dest / folder / filename} ({', '.join(errors)})")
    paths = default_paths(dest)
    if failures:
        raise NotReady(
            "could not download CatVTON weights (no network, or HF_HUB_OFFLINE=1?). Missing:\n  "
            + "\n  ".join(failures)
            + f"\n{LICENCE_NOTICE}",
            code=ErrorCode.WEIGHTS_MISSING,
        )
    problems = verify(paths)
    if problems:
        raise NotReady(
            "downloaded CatVTON weights failed verification:\n  " + "\n  ".join(problems),
            code=ErrorCode.WEIGHTS_INVALID,
        )
    return paths
