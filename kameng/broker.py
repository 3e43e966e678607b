"""The embedded default's broker: kombu's filesystem transport, with one fix.

Kombu writes a message file in place, and a consumer may move and read it before the
writer has written a byte (the reader takes no lock), which kills the worker with a
JSONDecodeError. Here a message is written under a name consumers ignore and renamed
into the queue, which is atomic on one filesystem.
"""

import os
import time
import uuid

from kombu.transport import filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps


class Channel(filesystem.Channel):
    def _put(self, queue: str, payload: dict, **kwargs: object) -> None:
        name = f"{int(time.monotonic() * 1000)}_{uuid.uuid4()}.{queue}.msg"
        final = os.path.join(self.data_folder_out, name)
        partial = os.path.join(self.data_folder_out, f".{name}.partial")
        with open(partial, "wb") as fh:
            fh.write(str_to_bytes(dumps(payload)))
        os.replace(partial, final)


class Transport(filesystem.Transport):
    Channel = Channel
