"""The embedded broker: messages written by many producers while a consumer reads are
each received once, whole. (The race this transport fixes, a reader taking a file the
writer has not filled yet, shows up only now and then; it once stopped the worker in
the top-up suite.)"""

from concurrent.futures import ThreadPoolExecutor

from kombu import Connection


def _connection(folder) -> Connection:
    options = {
        "data_folder_in": str(folder),
        "data_folder_out": str(folder),
        "control_folder": str(folder / "control"),
    }
    return Connection(transport="kameng.broker:Transport", transport_options=options)


def test_a_file_still_being_written_is_not_taken_and_whole_messages_are(tmp_path):
    (tmp_path / ".1_x.broker-test.msg.partial").write_bytes(b"")  # a writer mid-write
    with _connection(tmp_path) as conn:
        queue = conn.SimpleQueue("broker-test")
        assert queue.qsize() == 0

        def send(n: int) -> None:
            with _connection(tmp_path) as writer:
                writer.SimpleQueue("broker-test").put({"n": n})

        with ThreadPoolExecutor(8) as pool:
            sent = pool.map(send, range(200))  # consumed while still being written
            received = sorted(queue.get(timeout=5).payload["n"] for _ in range(200))
            list(sent)
        assert received == list(range(200))
        queue.close()
