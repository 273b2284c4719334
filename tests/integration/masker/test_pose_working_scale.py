"""Big photos are looked at at the pose model's working scale, and the answer comes back at full size."""

from __future__ import annotations

import numpy as np
from PIL import Image

from vtryon.adapters.shared.pose import WORKING_SIDE, PoseDetector


def test_a_big_photo_finds_the_same_body_as_its_small_copy_with_a_full_size_mask(
    poses: PoseDetector, astronaut: np.ndarray
) -> None:
    factor = 5  # 512 -> 2560 px, twice the working side
    big = np.asarray(
        Image.fromarray(astronaut).resize((512 * factor, 512 * factor), Image.Resampling.BICUBIC)
    )
    assert max(big.shape[:2]) > WORKING_SIDE
    small_pose = poses.detect(astronaut)
    big_pose = poses.detect(big)

    assert big_pose.person.shape == big.shape[:2]
    assert big_pose.person.dtype == np.float32
    visible = (small_pose.visibility > 0.8) & (big_pose.visibility > 0.8)
    assert visible.sum() >= 8  # head and shoulders at least
    error = np.linalg.norm(big_pose.points[visible] / factor - small_pose.points[visible], axis=1)
    assert float(np.median(error)) < 6.0  # pixels of the 512 px photo
    # The person mask covers the same share of the frame at both sizes.
    share_small = float((small_pose.person > 0.5).mean())
    share_big = float((big_pose.person > 0.5).mean())
    assert abs(share_small - share_big) < 0.03
