'use strict';
// Django's admin opens its navigation sidebar unless the user has closed it.
// Below 1600 px it takes 300 px from the lists, whose working columns
// (a customer's owner, a case's time left) then hide behind a horizontal
// scroll: there it starts closed. The « button still opens it, and Django
// remembers that choice under the same key.
{
    const key = 'django.admin.navSidebarIsOpen';
    if (localStorage.getItem(key) === null && window.innerWidth < 1600) {
        localStorage.setItem(key, 'false');
    }
}
