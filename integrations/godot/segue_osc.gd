# Segue for Godot 4: send game telemetry to a Segue engine over OSC (UDP), no plugin needed.
# Add as an autoload named "Segue", then:
#   Segue.set_param("intensity", 0.8)
#   Segue.raise_event("enemy_spotted")
# Messages are encoded here per OSC 1.0: address and type tags NUL-padded to 4 bytes, big-endian
# float32 ('f') and int32 ('i'). tests/test_integrations.py replays these exact bytes (packets.yaml).
extends Node

@export var host: String = "127.0.0.1"
@export var port: int = 9000

var _udp := PacketPeerUDP.new()

func _ready() -> void:
	_udp.set_dest_address(host, port)

func set_param(name: String, value: float) -> void:
	_send("/segue/param/" + name, [value])

func raise_event(name: String) -> void:
	_send("/segue/event/" + name, [])

func force_state(name: String) -> void:
	_send("/segue/state/" + name, [])

func _padded(text: String) -> PackedByteArray:
	var bytes := text.to_ascii_buffer()
	bytes.append(0)
	while bytes.size() % 4 != 0:
		bytes.append(0)
	return bytes

func _send(address: String, args: Array) -> void:
	var tags := ","
	var payload := PackedByteArray()
	for arg in args:
		var chunk := StreamPeerBuffer.new()
		chunk.big_endian = true
		if typeof(arg) == TYPE_INT:
			tags += "i"
			chunk.put_32(arg)
		else:
			tags += "f"
			chunk.put_float(float(arg))
		payload.append_array(chunk.data_array)
	var packet := _padded(address)
	packet.append_array(_padded(tags))
	packet.append_array(payload)
	_udp.put_packet(packet)
