// Segue for Unity: send game telemetry to a Segue engine over OSC.
// Needs OscJack (https://github.com/keijiro/OscJack, "jp.keijiro.osc-jack" via the package manager).
// Drop on a GameObject, set Host/Port, call the methods from your game code.
//
//   GetComponent<SegueOsc>().SetParam("intensity", 0.8f);
//   GetComponent<SegueOsc>().RaiseEvent("enemy_spotted");
//
// OscJack sends one message per UDP datagram: address, type tags, big-endian 32-bit floats ('f') and
// ints ('i'). tests/test_integrations.py replays exactly these bytes (see packets.yaml beside this file).
using OscJack;
using UnityEngine;

public sealed class SegueOsc : MonoBehaviour
{
    [SerializeField] string host = "127.0.0.1";
    [SerializeField] int port = 9000;

    OscClient _client;

    void OnEnable() => _client = new OscClient(host, port);

    void OnDisable()
    {
        _client?.Dispose();
        _client = null;
    }

    /// A continuous value, e.g. intensity 0..1 or health 0..1 (Segue clamps and smooths it).
    public void SetParam(string name, float value) => _client?.Send("/segue/param/" + name, value);

    /// A one-shot: enemy_spotted, boss_defeated...
    public void RaiseEvent(string name) => _client?.Send("/segue/event/" + name);

    /// Force a state (on the sync of the machine's rule to it).
    public void ForceState(string name) => _client?.Send("/segue/state/" + name);

    /// Lock (1) or unlock (0) a generated layer.
    public void LockLayer(string layer, bool locked) => _client?.Send("/segue/generate/" + layer + "/lock", locked ? 1 : 0);
}
