# Sourced by tools/test.sh: `timed WHAT COMMAND...` runs the command and
# prints how long it took, prefixed with the script's name; $start is when the script began.
start=$SECONDS
timed() {
  local what=$1 t=$SECONDS
  shift
  "$@"
  echo "$(basename "$0"): $what took $((SECONDS - t)) s"
}
