"""A sweep run in a child process (tests of kills and concurrency): imports only the engine."""

import os


def sweep_child(spec, out, result=None):
    os.environ["SCALINGLAB_PROGRESS"] = "0"
    from scalinglab.validate import protocol

    exp, config, _, text = protocol.config_from_spec_file(spec)
    oc = protocol.execute(exp, config, out, spec_text=text)
    if result is not None:
        result.put(oc.n_ran)
