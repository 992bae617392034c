# Test cases for bot/analyzers/rules/deserialization.yml, in semgrep's test format
# (`semgrep test`): an annotation names the rule that must, or must not, flag the line below it.
import _pickle
import marshal
import multiprocessing.connection
import pickle
import shelve
from multiprocessing.connection import Listener

import dill
import jsonpickle
import numpy
import pandas as pd
import torch
import yaml
import yaml as y
from ruamel.yaml import YAML
from yaml import load


def loads(blob, path, error, stream):
    # ruleid: unsafe-deserialization
    pickle.loads(blob)
    # ruleid: unsafe-deserialization
    obj = pickle.load(open(path, "rb"))
    # ruleid: unsafe-deserialization
    pickle.Unpickler(stream).load()
    # ruleid: unsafe-deserialization
    _pickle.loads(blob)
    # ruleid: unsafe-deserialization
    dill.loads(blob)
    # ruleid: unsafe-deserialization
    jsonpickle.decode(blob)
    # ruleid: unsafe-deserialization
    shelve.open(path)
    # ruleid: unsafe-deserialization
    marshal.loads(blob)
    # ruleid: unsafe-deserialization
    pd.read_pickle(path)
    # ruleid: unsafe-deserialization
    numpy.load(path, allow_pickle=True)
    # ok: unsafe-deserialization
    numpy.load(path)
    # ok: unsafe-deserialization
    copy = pickle.loads(pickle.dumps(error))
    # ok: unsafe-deserialization
    data = pickle.dumps(error)


def connection(address):
    conn = multiprocessing.connection.Client(address)
    # ruleid: multiprocessing-recv
    conn.recv()
    # ok: multiprocessing-recv
    conn.recv_bytes()
    listener = Listener(address)
    other = listener.accept()
    # ruleid: multiprocessing-recv
    other.recv()


def models(path):
    # ruleid: torch-load-unsafe
    torch.load(path)
    # ruleid: torch-load-unsafe
    torch.load(path, map_location="cpu")
    # ruleid: torch-load-weights-only-false
    torch.load(path, weights_only=False)
    # ok: torch-load-unsafe
    torch.load(path, weights_only=True)


def yamls(text):
    # ruleid: yaml-unsafe-load
    yaml.load(text)
    # ruleid: yaml-unsafe-load
    yaml.load(text, Loader=yaml.Loader)
    # ruleid: yaml-unsafe-load
    yaml.load(text, Loader=yaml.UnsafeLoader)
    # ruleid: yaml-unsafe-load
    yaml.load(text, yaml.CLoader)
    # ruleid: yaml-unsafe-load
    yaml.unsafe_load(text)
    # ruleid: yaml-unsafe-load
    y.load(text)
    # ruleid: yaml-unsafe-load-all
    yaml.load_all(text)
    # ruleid: yaml-unsafe-load-all
    yaml.unsafe_load_all(text)
    # ruleid: yaml-unsafe-load-imported
    load(text)
    # ok: yaml-unsafe-load
    yaml.load(text, Loader=yaml.SafeLoader)
    # ok: yaml-unsafe-load
    yaml.load(text, Loader=yaml.CSafeLoader)
    # ok: yaml-unsafe-load
    yaml.load(text, yaml.BaseLoader)
    # ok: yaml-unsafe-load
    yaml.safe_load(text)
    # ok: yaml-unsafe-load-all
    yaml.safe_load_all(text)
    # ok: yaml-unsafe-load-imported
    load(text, Loader=yaml.SafeLoader)
    # ruleid: yaml-unsafe-loader-class
    loader = yaml.UnsafeLoader(text)
    # ruleid: ruamel-unsafe-yaml
    YAML(typ="unsafe").load(text)
    # ok: ruamel-unsafe-yaml
    YAML(typ="safe").load(text)
    # ok: ruamel-unsafe-yaml
    YAML().load(text)


def passthrough(text, **kwargs):
    # ruleid: yaml-load-unknown-loader
    yaml.load(text, **kwargs)


def ruamel_named_yaml(text):
    yaml = YAML(typ="rt")
    # ok: yaml-unsafe-load
    yaml.load(text)
