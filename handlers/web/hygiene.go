package web

import "github.com/contactdesk/contactdesk/hygiene"

// HygieneSections say what each section of the report holds, in words.
var HygieneSections = map[hygiene.Section]struct{ Title, Intro, Of, OfOne string }{
	hygiene.PlaceholderPhone: {"Placeholder phone numbers",
		"Numbers such as (000) 000-0000 or (123) 456-7890, typed to get past a required field. ServiceTitan advises deleting them: a text sent to one reaches a stranger or no one.",
		"contacts", "contact"},
	hygiene.PlaceholderEmail: {"Placeholder emails",
		"Addresses such as noemail@gmail.com: mail sent to them reaches whoever owns that mailbox.",
		"contacts", "contact"},
	hygiene.Invalid: {"Values ServiceTitan cannot use",
		"Phone numbers that are not valid numbers and emails that are not addresses: the edit form would refuse them. Correct each from its contact's page, or remove it.",
		"contacts", "contact"},
	hygiene.Shared: {"One value on several customers",
		"A phone number or email held by more than %d customers (placeholders are counted above, not here). Some are right, such as a property manager's; check before changing any.",
		"contacts", "contact"},
	hygiene.Unreachable: {"Customers no one can reach",
		"Active customers with no phone number or email (a placeholder does not count).",
		"customers", "customer"},
}
