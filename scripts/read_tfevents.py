#!/usr/bin/python3
"""Independent reader of TensorBoard event files (events.out.tfevents.*), for checking what Unified writes.

Uses Debian's python3-protobuf only (no TensorBoard or TensorFlow): the few messages involved (Event, Summary,
SummaryMetadata, HistogramProto and the hparams plugin's HParamsPluginData) are declared below with the field numbers
of tensorboard/compat/proto/*.proto and tensorboard/plugins/hparams/*.proto, and every TFRecord's masked CRC32C is
verified with a CRC written here from the Castagnoli polynomial.

Usage:  /usr/bin/python3 scripts/read_tfevents.py FILE_OR_DIR...
Prints one JSON object per event on its own line:
  {"wall_time": 1700000000.123, "step": 0, "file_version": "brain.Event:2"}
  {"wall_time": ..., "step": 50, "scalars": {"train_loss_step": 0.31}}
  {"wall_time": ..., "step": 0, "hparams": {"experiment": {...}} | {"session_start": {...}} | {"session_end": {...}}}
  {"wall_time": ..., "step": 9, "histograms": {"weights/fc1.weight": {"min": ..., "bucket_limit": [...], ...}}}
Exits 1 with a message naming the file and offset when a record is truncated or a CRC does not match.
"""
import json
import os
import struct
import sys

from google.protobuf import descriptor_pb2, descriptor_pool, struct_pb2

try:
    from google.protobuf import message_factory
    _get_class = getattr(message_factory, "GetMessageClass", None)
except ImportError:  # pragma: no cover
    message_factory = None
    _get_class = None

_F = descriptor_pb2.FieldDescriptorProto


def _build_messages():
    pool = descriptor_pool.DescriptorPool()
    # google/protobuf/struct.proto, for google.protobuf.Value in SessionStartInfo.hparams.
    struct_file = descriptor_pb2.FileDescriptorProto()
    struct_pb2.DESCRIPTOR.CopyToProto(struct_file)
    pool.Add(struct_file)

    f = descriptor_pb2.FileDescriptorProto(name="unified_tfevents.proto", package="tb", syntax="proto3",
                                           dependency=["google/protobuf/struct.proto"])

    def message(name, fields, nested=(), parent=None):
        m = (parent.nested_type if parent is not None else f.message_type).add(name=name)
        for number, fname, ftype, label, type_name, oneof in fields:
            field = m.field.add(name=fname, number=number, type=ftype, label=label)
            if type_name:
                field.type_name = type_name
            if oneof is not None:
                field.oneof_index = oneof
        for n in nested:
            n(m)
        return m

    O, R = _F.LABEL_OPTIONAL, _F.LABEL_REPEATED
    message("HistogramProto", [
        (1, "min", _F.TYPE_DOUBLE, O, None, None), (2, "max", _F.TYPE_DOUBLE, O, None, None),
        (3, "num", _F.TYPE_DOUBLE, O, None, None), (4, "sum", _F.TYPE_DOUBLE, O, None, None),
        (5, "sum_squares", _F.TYPE_DOUBLE, O, None, None),
        (6, "bucket_limit", _F.TYPE_DOUBLE, R, None, None), (7, "bucket", _F.TYPE_DOUBLE, R, None, None)])
    message("SummaryMetadata", [(1, "plugin_data", _F.TYPE_MESSAGE, O, ".tb.SummaryMetadata.PluginData", None),
                                (2, "display_name", _F.TYPE_STRING, O, None, None)],
            nested=[lambda p: message("PluginData", [(1, "plugin_name", _F.TYPE_STRING, O, None, None),
                                                     (2, "content", _F.TYPE_BYTES, O, None, None)], parent=p)])

    def value(p):
        v = message("Value", [
            (7, "node_name", _F.TYPE_STRING, O, None, None), (1, "tag", _F.TYPE_STRING, O, None, None),
            (9, "metadata", _F.TYPE_MESSAGE, O, ".tb.SummaryMetadata", None),
            (2, "simple_value", _F.TYPE_FLOAT, O, None, 0), (5, "histo", _F.TYPE_MESSAGE, O, ".tb.HistogramProto", 0)],
            parent=p)
        v.oneof_decl.add(name="value")

    message("Summary", [(1, "value", _F.TYPE_MESSAGE, R, ".tb.Summary.Value", None)], nested=[value])
    # tensorboard/compat/proto/event.proto: SessionLog{status = 1 (STATUS_UNSPECIFIED 0, START 1, STOP 2, CHECKPOINT 3)}.
    message("SessionLog", [(1, "status", _F.TYPE_INT32, O, None, None), (2, "checkpoint_path", _F.TYPE_STRING, O, None, None),
                           (3, "msg", _F.TYPE_STRING, O, None, None)])
    event = message("Event", [
        (1, "wall_time", _F.TYPE_DOUBLE, O, None, None), (2, "step", _F.TYPE_INT64, O, None, None),
        (3, "file_version", _F.TYPE_STRING, O, None, 0), (5, "summary", _F.TYPE_MESSAGE, O, ".tb.Summary", 0),
        (7, "session_log", _F.TYPE_MESSAGE, O, ".tb.SessionLog", 0)])
    event.oneof_decl.add(name="what")

    # tensorboard/plugins/hparams: api.proto and plugin_data.proto.
    message("MetricName", [(1, "group", _F.TYPE_STRING, O, None, None), (2, "tag", _F.TYPE_STRING, O, None, None)])
    message("MetricInfo", [(1, "name", _F.TYPE_MESSAGE, O, ".tb.MetricName", None)])
    message("HParamInfo", [(1, "name", _F.TYPE_STRING, O, None, None), (4, "type", _F.TYPE_INT32, O, None, None)])
    message("Experiment", [(4, "hparam_infos", _F.TYPE_MESSAGE, R, ".tb.HParamInfo", None),
                           (5, "metric_infos", _F.TYPE_MESSAGE, R, ".tb.MetricInfo", None)])

    def entry(p):
        e = message("HparamsEntry", [(1, "key", _F.TYPE_STRING, O, None, None),
                                     (2, "value", _F.TYPE_MESSAGE, O, ".google.protobuf.Value", None)], parent=p)
        e.options.map_entry = True

    message("SessionStartInfo", [(1, "hparams", _F.TYPE_MESSAGE, R, ".tb.SessionStartInfo.HparamsEntry", None),
                                 (5, "start_time_secs", _F.TYPE_DOUBLE, O, None, None)], nested=[entry])
    message("SessionEndInfo", [(1, "status", _F.TYPE_INT32, O, None, None),
                               (2, "end_time_secs", _F.TYPE_DOUBLE, O, None, None)])
    plugin = message("HParamsPluginData", [
        (1, "version", _F.TYPE_INT32, O, None, None),
        (2, "experiment", _F.TYPE_MESSAGE, O, ".tb.Experiment", 0),
        (3, "session_start_info", _F.TYPE_MESSAGE, O, ".tb.SessionStartInfo", 0),
        (4, "session_end_info", _F.TYPE_MESSAGE, O, ".tb.SessionEndInfo", 0)])
    plugin.oneof_decl.add(name="data")

    pool.Add(f)

    def cls(name):
        d = pool.FindMessageTypeByName("tb." + name)
        return _get_class(d) if _get_class else message_factory.MessageFactory(pool).GetPrototype(d)

    return cls("Event"), cls("HParamsPluginData")


def _crc32c_table():
    table = []
    for n in range(256):
        c = n
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


_TABLE = _crc32c_table()


def masked_crc32c(data):
    crc = 0xFFFFFFFF
    for b in data:
        crc = _TABLE[(crc ^ b) & 0xFF] ^ (crc >> 8)
    crc ^= 0xFFFFFFFF
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def records(path):
    with open(path, "rb") as f:
        data = f.read()
    offset = 0
    while offset < len(data):
        if offset + 12 > len(data):
            raise ValueError(f"{path}: truncated record header at byte {offset}")
        length_bytes = data[offset:offset + 8]
        (length,) = struct.unpack("<Q", length_bytes)
        (length_crc,) = struct.unpack("<I", data[offset + 8:offset + 12])
        if masked_crc32c(length_bytes) != length_crc:
            raise ValueError(f"{path}: length CRC mismatch at byte {offset}")
        start = offset + 12
        if start + length + 4 > len(data):
            raise ValueError(f"{path}: truncated record at byte {offset}")
        payload = data[start:start + length]
        (data_crc,) = struct.unpack("<I", data[start + length:start + length + 4])
        if masked_crc32c(payload) != data_crc:
            raise ValueError(f"{path}: data CRC mismatch in the record at byte {offset}")
        yield payload
        offset = start + length + 4


def _struct_value(v):
    kind = v.WhichOneof("kind")
    return {"number_value": v.number_value, "string_value": v.string_value, "bool_value": v.bool_value}.get(kind)


def decode(path, Event, PluginData):
    for payload in records(path):
        event = Event()
        event.ParseFromString(payload)
        out = {"wall_time": event.wall_time, "step": event.step}
        what = event.WhichOneof("what")
        if what == "file_version":
            out["file_version"] = event.file_version
        elif what == "session_log":
            out["session_log"] = {0: "STATUS_UNSPECIFIED", 1: "START", 2: "STOP", 3: "CHECKPOINT"}.get(event.session_log.status, event.session_log.status)
        elif what == "summary":
            for v in event.summary.value:
                kind = v.WhichOneof("value")
                if kind == "simple_value":
                    out.setdefault("scalars", {})[v.tag] = v.simple_value
                elif kind == "histo":
                    h = v.histo
                    out.setdefault("histograms", {})[v.tag] = {
                        "min": h.min, "max": h.max, "num": h.num, "sum": h.sum, "sum_squares": h.sum_squares,
                        "bucket_limit": list(h.bucket_limit), "bucket": list(h.bucket)}
                elif v.metadata.plugin_data.plugin_name == "hparams":
                    data = PluginData()
                    data.ParseFromString(v.metadata.plugin_data.content)
                    case = data.WhichOneof("data")
                    if case == "experiment":
                        body = {"hparam_infos": [{"name": i.name, "type": i.type} for i in data.experiment.hparam_infos],
                                "metric_infos": [i.name.tag for i in data.experiment.metric_infos]}
                    elif case == "session_start_info":
                        s = data.session_start_info
                        body = {"hparams": {k: _struct_value(s.hparams[k]) for k in sorted(s.hparams)},
                                "start_time_secs": s.start_time_secs}
                    else:
                        e = data.session_end_info
                        body = {"status": e.status, "end_time_secs": e.end_time_secs}
                    out.setdefault("hparams", {})[v.tag] = body
        yield out


def main(argv):
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    Event, PluginData = _build_messages()
    files = []
    for arg in argv:
        if os.path.isdir(arg):
            for root, _, names in os.walk(arg):
                files += [os.path.join(root, n) for n in sorted(names) if n.startswith("events.out.tfevents.")]
        else:
            files.append(arg)
    try:
        for path in files:
            for out in decode(path, Event, PluginData):
                print(json.dumps(out, sort_keys=True))
    except ValueError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
