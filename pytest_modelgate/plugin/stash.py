"""Keys of the plugin's state in ``config.stash``; a leaf module, cheap to import at start-up."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from pytest_modelgate.plugin.session import ModelgateSession

# Set by pytest_configure only when the resolved settings (CLI or ini) enable the plugin.
SESSION_KEY: pytest.StashKey[ModelgateSession] = pytest.StashKey()
