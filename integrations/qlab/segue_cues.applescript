-- Builds a Segue cue list in the front QLab 5 workspace: one Network cue per Segue cue.
-- Written for QLab 5 (application id "com.figure53.QLab.5"), whose AppleScript dictionary names a Network cue's
-- patch `network patch name` and its OSC message `custom string` (QLab 4's `custom message` is gone in 5).
-- First add a Network patch named "Segue" (Workspace Settings > Network), of type OSC, pointing at the machine
-- that runs `segue run statemachines/broadcast.yaml` (UDP port 9000). QLab sends each message as plain OSC over
-- UDP; numbers typed without a decimal point go out as int32 ('i').
set segueCues to {¬
	{"Go live", "/segue/cue/go_live"}, ¬
	{"Talk (duck on)", "/segue/cue/talk 1"}, ¬
	{"Talk (duck off)", "/segue/cue/talk 0"}, ¬
	{"Goal stinger", "/segue/cue/goal"}, ¬
	{"Quieter", "/segue/cue/quieter"}, ¬
	{"Full level", "/segue/cue/full"}, ¬
	{"Stop (4 s fade on the bar)", "/segue/cue/stop"}, ¬
	{"PANIC", "/segue/panic"}}

tell application id "com.figure53.QLab.5" to tell front workspace
	repeat with entry in segueCues
		make type "Network"
		set newCue to last item of (selected as list)
		set q name of newCue to item 1 of entry
		set network patch name of newCue to "Segue"
		set custom string of newCue to item 2 of entry
	end repeat
end tell
