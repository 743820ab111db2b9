package client

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// A customer's contacts and a location's have the same contract in CRM v2
// (list, create, PATCH, delete, the same bodies, errors and limits); only
// the path and the operation names differ. One implementation serves both,
// given whose contacts it is about.

// contactsOf says whose contacts an operation reads or writes: the path of
// the owner's contact list and the names of its operations.
type contactsOf struct {
	path                         string // e.g. /customers/5/contacts
	list, create, update, remove string
}

func customerContacts(customerID int64) contactsOf {
	return contactsOf{
		path: fmt.Sprintf("/customers/%d/contacts", customerID),
		list: OpGetContactList, create: OpCreateContact, update: OpUpdateContact, remove: OpDeleteContact,
	}
}

func locationContacts(locationID int64) contactsOf {
	return contactsOf{
		path: fmt.Sprintf("/locations/%d/contacts", locationID),
		list: OpGetLocationContactList, create: OpCreateLocationContact, update: OpUpdateLocationContact, remove: OpDeleteLocationContact,
	}
}

// Owner is whose contacts an operation reads or writes: a customer's own,
// or those of one of its service locations. Code that works on either
// kind (a change, the index, a page) carries an Owner and calls the
// ...Of methods below, which pick the customer's or the location's
// operation.
type Owner struct {
	// CustomerID is the customer: the contacts' owner, or the location's.
	CustomerID int64
	// LocationID is the service location whose contacts these are; 0 for
	// the customer's own.
	LocationID int64
}

// CustomerOwner is a customer's own contacts.
func CustomerOwner(customerID int64) Owner { return Owner{CustomerID: customerID} }

// LocationOwner is the contacts of a customer's service location.
func LocationOwner(customerID, locationID int64) Owner {
	return Owner{CustomerID: customerID, LocationID: locationID}
}

// IsLocation reports whether the contacts are a location's.
func (o Owner) IsLocation() bool { return o.LocationID != 0 }

func (o Owner) contacts() contactsOf {
	if o.IsLocation() {
		return locationContacts(o.LocationID)
	}
	return customerContacts(o.CustomerID)
}

// ListContactsOf is ListContacts or ListLocationContacts, as o says.
func (c *Client) ListContactsOf(ctx context.Context, o Owner) ([]Contact, error) {
	return c.listContacts(ctx, o.contacts())
}

// GetContactOf is GetContact or GetLocationContact, as o says.
func (c *Client) GetContactOf(ctx context.Context, o Owner, contactID int64) (Contact, error) {
	return c.getContact(ctx, o.contacts(), contactID)
}

// UpdateContactOf is UpdateContact or UpdateLocationContact, as o says.
func (c *Client) UpdateContactOf(ctx context.Context, o Owner, contactID int64, req UpdateContactRequest) (Contact, error) {
	return c.updateContact(ctx, o.contacts(), contactID, req)
}

// CreateContactOf is CreateContact or CreateLocationContact, as o says.
func (c *Client) CreateContactOf(ctx context.Context, o Owner, req CreateContactRequest) (Contact, error) {
	return c.createContact(ctx, o.contacts(), req)
}

// DeleteContactOf is DeleteContact or DeleteLocationContact, as o says.
func (c *Client) DeleteContactOf(ctx context.Context, o Owner, contactID int64) error {
	return c.deleteContact(ctx, o.contacts(), contactID)
}

func (o contactsOf) contact(contactID int64) string {
	return o.path + "/" + strconv.FormatInt(contactID, 10)
}

func (c *Client) updateContact(ctx context.Context, of contactsOf, contactID int64, req UpdateContactRequest) (Contact, error) {
	var out contactWire
	err := c.do(ctx, of.update, http.MethodPatch, of.contact(contactID), nil, req, &out)
	return out.contact(), err
}

func (c *Client) createContact(ctx context.Context, of contactsOf, req CreateContactRequest) (Contact, error) {
	var out contactWire
	err := c.do(ctx, of.create, http.MethodPost, of.path, nil, req, &out)
	return out.contact(), err
}

func (c *Client) deleteContact(ctx context.Context, of contactsOf, contactID int64) error {
	return c.do(ctx, of.remove, http.MethodDelete, of.contact(contactID), nil, nil, nil)
}

func (c *Client) listContacts(ctx context.Context, of contactsOf) ([]Contact, error) {
	return listAll(ctx, c, of.list, of.path, url.Values{}, contactWire.contact)
}

func (c *Client) getContact(ctx context.Context, of contactsOf, contactID int64) (Contact, error) {
	contacts, err := c.listContacts(ctx, of)
	if err != nil {
		return Contact{}, err
	}
	for _, ct := range contacts {
		if ct.ID == contactID {
			return ct, nil
		}
	}
	return Contact{}, &APIError{Operation: of.list, StatusCode: http.StatusNotFound, Title: "Contact not found"}
}

// listAll reads every page of a list (query q plus page and pageSize),
// following hasMore, and returns its items as record makes them.
func listAll[W, T any](ctx context.Context, c *Client, op, path string, q url.Values, record func(W) T) ([]T, error) {
	var all []T
	q.Set("pageSize", strconv.Itoa(listPageSize))
	for page := 1; page <= listPagesLimit; page++ {
		q.Set("page", strconv.Itoa(page))
		var p Page[W]
		if err := c.do(ctx, op, http.MethodGet, path, q, nil, &p); err != nil {
			return nil, err
		}
		for _, w := range p.Data {
			all = append(all, record(w))
		}
		if !p.HasMore || len(p.Data) == 0 {
			return all, nil
		}
	}
	return nil, fmt.Errorf("servicetitan: %s: more than %d pages: %w", op, listPagesLimit, ErrMalformedResponse)
}

// joinIDs is ids as an `ids` query parameter: comma-separated.
func joinIDs(ids []int64) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = strconv.FormatInt(id, 10)
	}
	return strings.Join(s, ",")
}
