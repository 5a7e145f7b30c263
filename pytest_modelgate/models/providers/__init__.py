"""The built-in providers, one module each: the folder lists the choices.

Third-party providers register through the ``pytest_modelgate_add_providers`` hook.
"""

from __future__ import annotations

from pytest_modelgate.models.provider import ProviderFactory


def builtin_providers() -> dict[str, ProviderFactory]:
    # Imported here so that `pytest` without --modelgate never imports requests.
    from pytest_modelgate.models.providers.anthropic import AnthropicProvider
    from pytest_modelgate.models.providers.local import LocalModelProvider
    from pytest_modelgate.models.providers.openai import OpenAICompatibleProvider
    from pytest_modelgate.models.providers.python import PythonFunctionProvider
    from pytest_modelgate.models.providers.replay import ReplayProvider
    from pytest_modelgate.models.providers.static import StaticProvider

    return {
        "openai": OpenAICompatibleProvider,
        "anthropic": AnthropicProvider,
        "local": LocalModelProvider,
        "python": PythonFunctionProvider,
        "replay": ReplayProvider,
        "static": StaticProvider,
    }
