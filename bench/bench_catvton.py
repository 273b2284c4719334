"""CatVTON engine costs on CPU: everything outside the UNet per request, and one real-size UNet step.

1. Pre/post-processing at the default 768x1024 output (letterbox person, mask and garment; un-letterbox,
   resize back, optional repaint) on the CatVTON demo photos from ../shared/data when present and on a
   phone-sized landscape photo.
2. Whole requests through the engine with tiny random weights (``tests/support/tiny_catvton.py``):
   the per-phase breakdown (the tiny VAE/UNet times only show call structure, not real costs).
3. Real SD-1.5 sizes, random weights, CPU fp32, 512x384 output (latent 64x48 per half, 128x48 stacked):
   one UNet step at batch 1 (guidance off) and batch 2 (guidance on, one batched call), and the
   sd-vae-ft-mse-sized VAE encoding person + garment and decoding the person half.

Run: ``python bench/bench_catvton.py [--threads N] [--rounds N] [--requests N] [--repeats N]``; prints a
table and writes ``bench/results/bench_catvton.json``.

4. Whole try-ons at real SD-1.5 sizes with random weights, on any device (``--device`` selects this mode):
   the UNet and VAE are built in code from the published configs (the SD-1.5 inpainting UNet and
   sd-vae-ft-mse), wrapped in the real ``CatVTONPipeline`` and ``CatVTONEngine`` (CatVTON's attention
   processors, framing, seeded generator, per-step callback), and timed end to end: seconds per try-on,
   milliseconds per denoising step, peak accelerator memory. Random weights cost the same arithmetic as
   the real ones, so the times hold; the pictures are noise.

   GPU: ``python bench/bench_catvton.py --device cuda --dtype bf16 --size 1024x768 --steps 50 [--compile]``
   CPU smoke: ``python bench/bench_catvton.py --device cpu`` (256x192, 2 steps; ``--weights tiny`` for the
   tiny test components). ``--size`` is HEIGHTxWIDTH (1024x768 = CatVTON's 768 wide, 1024 tall output).
   Writes ``bench/results/bench_catvton_tryon_<device>.json``.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import numpy as np
import torch
from PIL import Image as PILImage

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from diffusers import AutoencoderKL, DDIMScheduler, UNet2DConditionModel  # noqa: E402
from tests.support.tiny_catvton import write_tiny_catvton  # noqa: E402

from _common import report  # noqa: E402
from vtryon.adapters.catvton import framing, loader  # noqa: E402
from vtryon.adapters.catvton.attention import install_catvton_processors  # noqa: E402
from vtryon.adapters.catvton.engine import CatVTONEngine  # noqa: E402
from vtryon.adapters.catvton.pipeline import CatVTONPipeline  # noqa: E402
from vtryon.domain.tryon import TryOnParams  # noqa: E402

SHARED = ROOT.parent / "shared" / "data" / "tryon"
RESULTS = ROOT / "bench" / "results" / "bench_catvton.json"


def summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {"median_ms": statistics.median(ordered), "p95_ms": p95, "n": len(ordered)}


def torso_mask(height: int, width: int) -> np.ndarray:
    """A rectangle: the masker is benched on its own."""
    mask = np.zeros((height, width), np.uint8)
    mask[height // 5 : height * 3 // 5, width // 5 : width * 4 // 5] = 255
    return mask


def scenarios() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """CatVTON demo photos when ../shared has them (already 768x1024) and a phone-sized photo (padded)."""
    rng = np.random.default_rng(0)
    found: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    person_file, garment_file = (
        SHARED / "person" / "woman_1.jpg",
        SHARED / "garment" / "upper" / "upper_2.jpg",
    )
    if person_file.is_file() and garment_file.is_file():
        found["demo photo 768x1024, garment 1000x1334"] = (
            np.asarray(PILImage.open(person_file).convert("RGB")),
            np.asarray(PILImage.open(garment_file).convert("RGB")),
        )
    found["phone photo 2016x1512 (landscape), garment 1000x1334"] = (
        rng.integers(0, 256, (1512, 2016, 3), dtype=np.uint8),
        rng.integers(0, 256, (1334, 1000, 3), dtype=np.uint8),
    )
    return found


def bench_framing(requests: int) -> dict[str, Any]:
    """Pre/post-processing alone at 768x1024 (what the engine does around the pipeline), per scenario."""
    out: dict[str, Any] = {}
    for name, (person, cloth) in scenarios().items():
        mask = torso_mask(*person.shape[:2])
        generated = np.full((1024, 768, 3), 128, np.uint8)
        samples: dict[str, list[float]] = {"preprocess": [], "postprocess": [], "postprocess_repaint": []}
        for _ in range(requests + 1):  # the first round is a warm-up
            started = time.perf_counter()
            _, box = framing.fit(person, 1024, 768, pad="edge")
            framing.fit_mask(mask, box)
            framing.fit(cloth, 1024, 768, pad="white")
            prepared = time.perf_counter()
            restored = framing.unfit(generated, box)
            unfitted = time.perf_counter()
            framing.repaint(person, restored, mask)
            repainted = time.perf_counter()
            samples["preprocess"].append((prepared - started) * 1000)
            samples["postprocess"].append((unfitted - prepared) * 1000)
            samples["postprocess_repaint"].append((repainted - prepared) * 1000)
        out[name] = {phase: summary(values[1:]) for phase, values in samples.items()}
    return out


def bench_request(requests: int) -> dict[str, Any]:
    """Whole requests through the engine with tiny weights: where the time goes outside the UNet.

    The tiny UNet's attention at 768x1024 is not cheap on a CPU, so few requests are timed; its own time
    says nothing about the real UNet (measured below).
    """
    params = TryOnParams(num_inference_steps=10, guidance_scale=2.5, seed=1)
    name, (person, cloth) = next(iter(scenarios().items()))
    mask = torso_mask(*person.shape[:2])
    with tempfile.TemporaryDirectory() as folder:
        tiny = write_tiny_catvton(Path(folder))
        engine = CatVTONEngine.load(tiny.base, tiny.vae, tiny.attention, device="cpu", repaint=True)
        print(f"requests: {name}", file=sys.stderr, flush=True)
        engine.generate_timed(person, cloth, mask, params)  # warm-up
        phases: dict[str, list[float]] = {}
        for _ in range(requests):
            _, timings = engine.generate_timed(person, cloth, mask, params)
            for phase, value in timings.items():
                phases.setdefault(phase, []).append(value)
    outside = [sum(v[i] for k, v in phases.items() if k != "unet") for i in range(requests)]
    return {
        "scenario": f"{name}, repaint on, 10 steps",
        **{phase: summary(values) for phase, values in phases.items()},
        "outside_unet": summary(outside),
    }


def timed(call: Callable[[], Any], repeats: int) -> dict[str, float]:
    call()  # warm-up: first calls allocate and pick kernels
    samples = []
    for _ in range(repeats):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    return summary(samples)


def bench_real_sizes(repeats: int) -> dict[str, Any]:
    results: dict[str, Any] = {}
    torch.manual_seed(0)
    with torch.inference_mode():
        results.update(bench_unet(repeats))
        results.update(bench_vae(repeats))
    return results


def bench_unet(repeats: int) -> dict[str, Any]:
    """SD-1.5's UNet (its config is diffusers' default) with the inpainting input and CatVTON processors."""
    unet = UNet2DConditionModel(in_channels=9, out_channels=4, cross_attention_dim=768).eval()
    install_catvton_processors(unet)
    latent = (128, 48)  # 512x384 output: 64x48 latent per half, person over garment
    timestep = torch.tensor(500)
    results: dict[str, Any] = {"unet_parameters_m": sum(p.numel() for p in unet.parameters()) / 1e6}
    for batch in (1, 2):
        sample = torch.randn(batch, 9, *latent)

        def step(sample: torch.Tensor = sample) -> None:
            unet(sample, timestep, None, return_dict=False)

        print(f"real UNet step, batch {batch}", file=sys.stderr, flush=True)
        results[f"unet_step_batch{batch}"] = timed(step, repeats)
    return results


def bench_vae(repeats: int) -> dict[str, Any]:
    """sd-vae-ft-mse's architecture: encode person + garment (one batch), decode the person half."""
    vae = AutoencoderKL(
        down_block_types=("DownEncoderBlock2D",) * 4,
        up_block_types=("UpDecoderBlock2D",) * 4,
        block_out_channels=(128, 256, 512, 512),
        layers_per_block=2,
        latent_channels=4,
        sample_size=256,
    ).eval()
    pixels = torch.randn(2, 3, 512, 384)
    latents = torch.randn(1, 4, 64, 48)

    def encode() -> None:
        vae.encode(pixels).latent_dist.mode()

    def decode() -> None:
        vae.decode(latents)

    return {
        "vae_encode_person_and_garment": timed(encode, repeats),
        "vae_decode_person": timed(decode, repeats),
    }


#: The SD-1.5 inpainting UNet (``booksforcharlie/stable-diffusion-inpainting``, ``unet/config.json``).
SD15_INPAINTING_UNET: dict[str, Any] = {
    "sample_size": 64,
    "in_channels": 9,
    "out_channels": 4,
    "down_block_types": ("CrossAttnDownBlock2D",) * 3 + ("DownBlock2D",),
    "up_block_types": ("UpBlock2D",) + ("CrossAttnUpBlock2D",) * 3,
    "block_out_channels": (320, 640, 1280, 1280),
    "layers_per_block": 2,
    "cross_attention_dim": 768,
    "attention_head_dim": 8,
    "norm_num_groups": 32,
    "norm_eps": 1e-5,
    "act_fn": "silu",
    "flip_sin_to_cos": True,
    "freq_shift": 0,
    "downsample_padding": 1,
    "mid_block_scale_factor": 1,
}
#: ``stabilityai/sd-vae-ft-mse``'s ``config.json``.
SD_VAE_FT_MSE: dict[str, Any] = {
    "in_channels": 3,
    "out_channels": 3,
    "down_block_types": ("DownEncoderBlock2D",) * 4,
    "up_block_types": ("UpDecoderBlock2D",) * 4,
    "block_out_channels": (128, 256, 512, 512),
    "layers_per_block": 2,
    "latent_channels": 4,
    "norm_num_groups": 32,
    "act_fn": "silu",
    "sample_size": 256,
}
#: The base model's scheduler config (a PNDM config that upstream, and we, load as DDIM).
SD15_SCHEDULER: dict[str, Any] = {
    "beta_start": 0.00085,
    "beta_end": 0.012,
    "beta_schedule": "scaled_linear",
    "num_train_timesteps": 1000,
    "set_alpha_to_one": False,
    "steps_offset": 1,
    "clip_sample": False,
}


def parse_size(text: str) -> tuple[int, int]:
    """``HEIGHTxWIDTH`` -> (height, width)."""
    try:
        height, width = (int(part) for part in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"size must be HEIGHTxWIDTH, e.g. 1024x768; got {text!r}") from None
    if height % 8 or width % 8 or min(height, width) < 64:
        raise argparse.ArgumentTypeError(f"height and width must be multiples of 8, >= 64; got {text!r}")
    return height, width


def real_size_pipeline(device: torch.device, dtype: torch.dtype) -> CatVTONPipeline:
    """SD-1.5-sized UNet (CatVTON processors installed) and VAE with random weights, built on ``device``."""
    torch.manual_seed(0)
    with device:  # parameters are created (and randomly initialised) where they will run
        unet = UNet2DConditionModel(**SD15_INPAINTING_UNET)
        vae = AutoencoderKL(**SD_VAE_FT_MSE)
    install_catvton_processors(unet)
    if dtype != torch.float32:  # built in fp32 (diffusers' init), then cast as from_pretrained(torch_dtype=)
        unet, vae = unet.to(dtype=dtype), vae.to(dtype=dtype)
    return CatVTONPipeline(
        unet=unet.eval().requires_grad_(False),
        vae=vae.eval().requires_grad_(False),
        scheduler=DDIMScheduler.from_config(SD15_SCHEDULER),
    )


def tiny_pipeline(folder: Path, device: str, dtype: str) -> CatVTONPipeline:
    """The test suite's tiny random components, loaded from disk through the real loader."""
    tiny = write_tiny_catvton(folder)
    return CatVTONPipeline.from_pretrained(tiny.base, tiny.vae, tiny.attention, device=device, dtype=dtype)


class StepTimer:
    """Wall time of each denoising step, taken in the pipeline's step-end callback."""

    def __init__(self, cuda: bool) -> None:
        self.cuda = cuda
        self.marks: list[float] = []

    def start(self) -> None:
        self.marks = [time.perf_counter()]

    def __call__(self, pipe: Any, step: int, timestep: torch.Tensor, tensors: dict[str, Any]) -> None:
        if self.cuda:
            torch.cuda.synchronize()  # charge each step its own kernels
        self.marks.append(time.perf_counter())

    def steps_ms(self) -> list[float]:
        return [(b - a) * 1000 for a, b in zip(self.marks[1:-1], self.marks[2:], strict=True)]


def tryon_once(
    pipeline: CatVTONPipeline, size: tuple[int, int], steps: int, guidance: float, timer: StepTimer
) -> dict[str, float]:
    """One try-on as the engine runs it: letterbox, seeded pipeline call, un-letterbox (times in ms)."""
    height, width = size
    rng = np.random.default_rng(1)
    person = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
    cloth = rng.integers(0, 256, (1334, 1000, 3), dtype=np.uint8)
    mask = torso_mask(height, width)
    started = time.perf_counter()
    person_in, box = framing.fit(person, height, width, pad="edge")
    mask_in = framing.fit_mask(mask, box)
    cloth_in, _ = framing.fit(cloth, height, width, pad="white")
    timer.start()
    output = pipeline(
        person_in,
        cloth_in,
        mask_in,
        num_inference_steps=steps,
        guidance_scale=guidance,
        height=height,
        width=width,
        generator=torch.Generator(device="cpu").manual_seed(1),
        callback_on_step_end=timer,
    )
    framing.unfit(output.images[0], box)
    return {"total": (time.perf_counter() - started) * 1000, **output.timings_ms}


def bench_tryon(args: argparse.Namespace) -> None:
    """Section 4: whole try-ons at real sizes on ``--device``; prints a table, writes JSON."""
    device = loader.resolve_device(args.device)
    dtype = loader.resolve_dtype(args.dtype, device)
    cuda = device.type == "cuda"
    size = args.size or ((1024, 768) if cuda else (256, 192))
    steps = args.steps or (50 if cuda else 2)
    with tempfile.TemporaryDirectory() as folder:
        built = time.perf_counter()
        if args.weights == "tiny":
            pipeline = tiny_pipeline(Path(folder), str(device), args.dtype)
        else:
            pipeline = real_size_pipeline(device, dtype)
        if args.compile:
            pipeline.unet = cast("UNet2DConditionModel", torch.compile(pipeline.unet))
        build_s = time.perf_counter() - built
        weights_mb = torch.cuda.memory_allocated(device) / 2**20 if cuda else None
        timer = StepTimer(cuda)
        print(f"warm-up try-on ({size[0]}x{size[1]}, {steps} steps)", file=sys.stderr, flush=True)
        with torch.inference_mode():
            warm = tryon_once(pipeline, size, steps, args.guidance, timer)
        if cuda:
            torch.cuda.reset_peak_memory_stats(device)
        runs, step_ms = [], []
        for n in range(args.tryons):
            print(f"try-on {n + 1}/{args.tryons}", file=sys.stderr, flush=True)
            with torch.inference_mode():
                runs.append(tryon_once(pipeline, size, steps, args.guidance, timer))
            step_ms.extend(timer.steps_ms())
        peak_mb = torch.cuda.max_memory_allocated(device) / 2**20 if cuda else None
    totals = [r["total"] / 1000 for r in runs]
    per_step = [r["unet"] / steps for r in runs]
    row = {
        "device": torch.cuda.get_device_name(device) if cuda else f"cpu ({torch.get_num_threads()} threads)",
        "weights": args.weights,
        "dtype": str(dtype).removeprefix("torch."),
        "size_hxw": f"{size[0]}x{size[1]}",
        "steps": steps,
        "guidance": args.guidance,
        "compile": bool(args.compile),
        "s_per_tryon_median": statistics.median(totals),
        "s_per_tryon_max": max(totals),
        "ms_per_step_median": statistics.median(per_step),
        "ms_per_step_p95_single": summary(step_ms)["p95_ms"] if step_ms else None,
        "vae_encode_ms": statistics.median(r["vae_encode"] for r in runs),
        "vae_decode_ms": statistics.median(r["vae_decode"] for r in runs),
        "warmup_s": warm["total"] / 1000,
        "peak_mem_mb": peak_mb,
        "weights_mem_mb": weights_mb,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "build_s": build_s,
        "tryons": args.tryons,
    }
    meta = {
        "command": "python bench/bench_catvton.py " + " ".join(sys.argv[1:]),
        "torch": torch.__version__,
        "cuda": torch.version.cuda,
        "unet_parameters_m": sum(p.numel() for p in pipeline.unet.parameters()) / 1e6,
        "note": "random weights: real arithmetic and memory, meaningless pictures",
    }
    report(f"bench_catvton_tryon_{device.type}", [row], meta)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (default 1)")
    parser.add_argument("--rounds", type=int, default=20, help="timed pre/post-processing rounds")
    parser.add_argument("--requests", type=int, default=3, help="timed whole requests with tiny weights")
    parser.add_argument("--repeats", type=int, default=3, help="timed real-size UNet/VAE calls each")
    tryon = parser.add_argument_group("whole try-ons at real sizes (section 4; --device selects it)")
    tryon.add_argument("--device", help="cpu, cuda or cuda:N: run section 4 only, on this device")
    tryon.add_argument(
        "--dtype", default="auto", help="auto (bf16/fp16 on GPUs, fp32 on CPU), bf16, fp16, fp32"
    )
    tryon.add_argument(
        "--size", type=parse_size, help="HEIGHTxWIDTH (default 1024x768 on GPU, 256x192 on CPU)"
    )
    tryon.add_argument("--steps", type=int, help="denoising steps (default 50 on GPU, 2 on CPU)")
    tryon.add_argument("--guidance", type=float, default=2.5, help="guidance scale (> 1: batch-2 UNet)")
    tryon.add_argument("--compile", action="store_true", help="torch.compile the UNet (as --compile serves)")
    tryon.add_argument("--tryons", type=int, default=3, help="timed try-ons after one warm-up")
    tryon.add_argument(
        "--weights", choices=("real", "tiny"), default="real", help="SD-1.5 sizes, or the tiny test ones"
    )
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    if args.device is not None:
        bench_tryon(args)
        return

    report: dict[str, Any] = {
        "machine": {
            "cpu": platform.processor() or platform.machine(),
            "torch": torch.__version__,
            "threads": args.threads,
        },
        "command": "python bench/bench_catvton.py " + " ".join(sys.argv[1:]),
        "framing_768x1024": bench_framing(args.rounds),
        "request_tiny_weights_768x1024": bench_request(args.requests),
        "real_sizes_cpu_fp32_512x384": bench_real_sizes(args.repeats),
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=2))

    print(f"CatVTON on CPU, torch {torch.__version__}, {args.threads} thread(s)")
    print("\nPre/post-processing at 768x1024 output (median ms / p95 ms)")
    phases = ("preprocess", "postprocess", "postprocess_repaint")
    print(f"{'scenario':<56}" + "".join(f"{phase:>22}" for phase in phases))
    for name, row in report["framing_768x1024"].items():
        cells = "".join(f"{row[p]['median_ms']:>14.1f} /{row[p]['p95_ms']:>6.1f}" for p in phases)
        print(f"{name:<56}{cells}")
    request = report["request_tiny_weights_768x1024"]
    print(f"\nWhole requests, tiny weights: {request['scenario']} (median ms / p95 ms)")
    for phase in ("preprocess", "vae_encode", "unet", "vae_decode", "postprocess", "outside_unet"):
        print(f"{phase:<16}{request[phase]['median_ms']:>10.1f} /{request[phase]['p95_ms']:>8.1f}")
    real = report["real_sizes_cpu_fp32_512x384"]
    print(f"\nReal SD-1.5 sizes ({real['unet_parameters_m']:.0f} M UNet params), random weights, 512x384")
    print(f"{'call':<34}{'median ms':>12}{'p95 ms':>10}")
    for name in (
        "unet_step_batch1",
        "unet_step_batch2",
        "vae_encode_person_and_garment",
        "vae_decode_person",
    ):
        print(f"{name:<34}{real[name]['median_ms']:>12.0f}{real[name]['p95_ms']:>10.0f}")
    two_calls = 2 * real["unet_step_batch1"]["median_ms"]
    print(f"{'guidance as 2 separate calls (2x b1)':<34}{two_calls:>12.0f}")
    print(f"\nwrote {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
