package bulk

// Preset is a job named for what it is for: the list staff got, and the
// preferences it turns off.
type Preset struct {
	// Name is the form's `action` value.
	Name, Label string
	Set         map[string]bool
}

// Presets are the lists staff get, named for the job. Texting itself
// (phoneSettings.doNotText) is not among them: no app can set it.
var Presets = []Preset{
	{Name: "stop", Label: "Replied STOP: marketing and job reminders off",
		Set: map[string]bool{"marketingUpdatesEnabled": false, "jobRemindersEnabled": false}},
	{Name: "unsubscribed", Label: "Unsubscribed from email: marketing off",
		Set: map[string]bool{"marketingUpdatesEnabled": false}},
}

// PresetNamed is the preset of that name, if there is one.
func PresetNamed(name string) (Preset, bool) {
	for _, p := range Presets {
		if p.Name == name {
			return p, true
		}
	}
	return Preset{}, false
}
