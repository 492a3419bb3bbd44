#!/usr/bin/env python3
"""Runs the SAM CLI (`sam_host_network.py local invoke ...`) with the function's container on the
host's network, for scripts/lambda-image.sh.

`sam local invoke --docker-network host` does not do that: SAM only ever connects a container to
a named network and otherwise leaves it on the default bridge, where the simulators on the host's
127.0.0.1 cannot be reached (and slirp4netns's host loopback is unreachable on this machine). So
the container is created with network_mode "host"; its emulator then listens on the host's port
8080 (and its Runtime API on 9001), and SAM is told to invoke it there instead of a mapped port.
Both ports must be free; the script checks.
"""

import sys

import docker.models.containers
from samcli.cli.main import cli
from samcli.local.docker.container import Container

EMULATOR_PORT = 8080

_init = Container.__init__


def _init_on_host_network(self, *args, **kwargs):
    _init(self, *args, **kwargs)
    self._container_opts = {**(self._container_opts or {}), "network_mode": "host"}
    self.rapid_port_host = EMULATOR_PORT


Container.__init__ = _init_on_host_network

_create_args = docker.models.containers._create_container_args


def _create_args_on_host_network(kwargs):
    # A published port means nothing on the host's network (docker-py refuses the pair).
    if kwargs.get("network_mode") == "host":
        kwargs.pop("ports", None)
    return _create_args(kwargs)


docker.models.containers._create_container_args = _create_args_on_host_network

if __name__ == "__main__":
    sys.argv[0] = "sam"
    sys.exit(cli())
