"""The pure core of vtryon: values, invariants, the wire protocol and errors (stdlib + msgspec only)."""

from vtryon.domain.errors import *  # noqa: F403
from vtryon.domain.nails import *  # noqa: F403
from vtryon.domain.protocol import *  # noqa: F403
from vtryon.domain.session import *  # noqa: F403
from vtryon.domain.tryon import *  # noqa: F403
