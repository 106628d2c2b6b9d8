"""A policy whose first answer names a job that does not exist (the emulate error test)."""
import dlsched


class Bad(dlsched.Policy):
    def schedule(self, input):
        return [(10**6, 1)]
