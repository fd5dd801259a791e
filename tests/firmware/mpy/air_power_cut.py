# The sim hub with the radio scenario: the hub reboots between two air commands to node 1005.
import json
import sys

from boards.sim import SimBoard

SCENARIO = "hub_firmware/sim/scenarios/radio.json"
START = 1768168800


def command(board, state):
    answers = []
    hub = board.hub
    hops = hub.nodes.get(1005).hops
    immediate = hub.air.command(1005, 0, state, hops, lambda r, s: answers.append([r, s]))
    board.advance(10, 0.1)
    return list(immediate) if immediate else answers


def main(state_dir):
    board = SimBoard(SCENARIO, START, state_dir)
    board.advance(30, 0.1)
    out = {"paired": board.hub.air.paired(), "hops": board.hub.nodes.get(1005).hops}
    out["open"] = command(board, 0)
    out["supplied_open"] = board.household.appliance("garage_ev").supplied
    board._power_down()  # the hub loses power; the nodes run on
    board._power_up()
    board.advance(61, 0.5)  # the next reports reach the new hub
    out["after_reboot"] = [board.hub.air.paired(), board.hub.air.known_states(1005)]
    out["close"] = command(board, 1)
    out["supplied_close"] = board.household.appliance("garage_ev").supplied
    print(json.dumps(out))


main(sys.argv[1])
