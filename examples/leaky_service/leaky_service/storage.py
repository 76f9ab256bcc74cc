"""Seed 003: status files read and written without closing them."""
import json


def load_status(path):
    handle = open(path)
    status = json.load(handle)
    handle.close()
    return status


def save_status(path, status):
    json.dump(status, open(path, "w"))


def read_lines(path):
    return open(path).read().splitlines()


class AuditLog:
    """Keeps its log file open for its whole life: reported, not rewritten."""

    def __init__(self, path):
        self.out = open(path, "a")

    def write(self, line):
        self.out.write(line + "\n")
