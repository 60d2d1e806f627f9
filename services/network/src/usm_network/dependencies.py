from typing import Annotated

from fastapi import Depends

from usm_network.config import NetworkSettings
from usmkit.runtime import RuntimeDep


async def get_settings(runtime: RuntimeDep) -> NetworkSettings:
    settings = runtime.settings
    assert isinstance(settings, NetworkSettings)
    return settings


SettingsDep = Annotated[NetworkSettings, Depends(get_settings)]
