"""What the gRPC tests share: their arguments, the skip rule (exit 77 with a
reason: the build had no libgrpc or protoc, or this python3 has no grpc
module), and the path to the messages protoc --python_out generated."""
import argparse
import sys

SKIP = 77


def skip(why):
    print("SKIP: " + why)
    sys.exit(SKIP)


def setup(*options):
    """Parse --OPTION for each name given, plus --py and --missing; skip when
    the test cannot run; return (args, the grpc module)."""
    parser = argparse.ArgumentParser()
    for name in options + ("py", "missing"):
        parser.add_argument("--" + name)
    args = parser.parse_args()
    if args.missing:
        skip(args.missing)
    try:
        import grpc
    except ImportError:
        skip("no grpc module for %s: install python3-grpcio (scripts/deps.sh)" % sys.executable)
    sys.path.insert(0, args.py)
    return args, grpc
