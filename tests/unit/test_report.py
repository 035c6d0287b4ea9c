import asyncio
import stat
from pathlib import Path

from workbench.report import PrivateKernelManager


def test_kernels_use_unix_sockets_in_a_private_directory() -> None:
    km = PrivateKernelManager(kernel_name="python3")
    assert km.transport == "ipc"
    directory = Path(km.ip).parent
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    asyncio.run(km._async_cleanup_resources())
    assert not directory.exists(), "removed with the kernel"
