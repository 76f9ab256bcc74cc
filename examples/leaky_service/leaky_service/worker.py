"""An unbounded work queue fed by a producer thread."""
import queue
import threading


class Dispatcher:
    def __init__(self):
        self.jobs = queue.Queue()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def submit(self, job):
        self.jobs.put(job)

    def run(self):
        while True:
            job = self.jobs.get()
            job()
