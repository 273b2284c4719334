"""adapters/preview: a classical CPU garment engine (cut out, warp onto the pose, relight); no weights."""
