"""Small, deliberately messy OneRoster CSV file sets (test and benchmark support)."""

import io
import zipfile

__all__ = ["BASE", "BULK", "USERS_HEADER", "manifest", "zipped"]


def manifest(version: str = "1.2", **modes: str) -> str:
    lines = ["propertyName,value", "manifest.version,1.0", f"oneroster.version,{version}"]
    lines += [f"file.{name},{mode}" for name, mode in modes.items()]
    lines += ["file.lineItems,absent", "file.results,absent"]
    return "\n".join(lines) + "\n"


BULK = {
    name: "bulk"
    for name in (
        "orgs", "academicSessions", "courses", "classes", "users", "roles", "enrollments",
        "demographics",
    )
}  # fmt: skip

USERS_HEADER = (
    "sourcedId,status,dateLastModified,enabledUser,username,userIds,givenName,familyName,"
    "middleName,identifier,email,sms,phone,agentSourcedIds,grades,password,userMasterIdentifier,"
    "resourceSourcedIds,preferredGivenName,preferredMiddleName,preferredFamilyName,"
    "primaryOrgSourcedId,pronouns,metadata.lunch\n"
)

# A district export as SIS really send them: a byte-order mark, TRUE/true/empty booleans,
# extension columns, a quoted grade, a datetime where a date is expected, a blank last line.
BASE = {
    "manifest.csv": manifest(**BULK),
    "orgs.csv": (
        "sourcedId,status,dateLastModified,name,type,identifier,parentSourcedId,metadata.nces_id\n"
        "d1,active,,North District,district,,,\n"
        "s1,active,,North Elementary,school,NE,d1,1234\n"
        "s2,,2026-01-01T00:00:00Z,North Middle,school,,d1,\n"
    ),
    "academicSessions.csv": (
        "sourcedId,status,dateLastModified,title,type,startDate,endDate,parentSourcedId,schoolYear\n"
        "t1,active,,Fall,term,2026-08-15,2026-12-20T00:00:00Z,y2026,2027\n"
        "y2026,active,,2026-27,schoolYear,2026-08-15,2027-06-15,,2027\n"
    ),
    "courses.csv": (
        "sourcedId,status,dateLastModified,schoolYearSourcedId,title,courseCode,grades,"
        "orgSourcedId,subjects,subjectCodes\n"
        "c-math4,,,y2026,Math 4,M4,04,d1,math,\n"
    ),
    "classes.csv": (
        "sourcedId,status,dateLastModified,title,grades,courseSourcedId,classCode,classType,"
        "location,schoolSourcedId,termSourcedIds,subjects,subjectCodes,periods,ext_room_color\n"
        'k-4a,active,,Math 4A,"04",c-math4,4A,scheduled,R12,s1,t1,,,1,blue\n'
        'k-4b,active,,Math 4B,04,c-math4,4B,scheduled,,s1,"t1",,,,\n'
    ),
    "users.csv": "\ufeff"
    + USERS_HEADER
    + (
        "t-1,active,,TRUE,tkim,,Tara,Kim,,,tkim@north.example,,,,,,,,,,,s1,,\n"
        "st-1,active,,true,ana.s,,Ana,Silva,,,,,,,04,,,,,,,s1,,free\n"
        "st-2,active,,,ben.o,,Ben,Okafor,,,,,,,04,,,,,,,s1,,\n"
        "st-3,active,,FALSE,cy.l,,Cy,Lee,,,,,,,05,,,,,,,s2,,\n"
        "\n"
    ),
    "roles.csv": (
        "sourcedId,status,dateLastModified,userSourcedId,roleType,role,beginDate,endDate,"
        "orgSourcedId,userProfileSourcedId\n"
        "r1,active,,t-1,primary,teacher,,,s1,\n"
        "r2,,,st-1,primary,student,,,s1,\n"
        "r3,,,st-2,primary,student,,,s1,\n"
        "r4,,,st-3,primary,student,,,s2,\n"
    ),
    "enrollments.csv": (
        "sourcedId,status,dateLastModified,classSourcedId,schoolSourcedId,userSourcedId,role,"
        "primary,beginDate,endDate\n"
        "e1,active,,k-4a,s1,t-1,teacher,TRUE,,\n"
        "e2,active,,k-4a,s1,st-1,student,false,2026-08-15,\n"
        "e3,,,k-4a,s1,st-2,student,,,\n"
        "e4,,,k-4b,s1,st-3,student,,,\n"
    ),
    "demographics.csv": "sourcedId,birthDate,sex\nst-1,2016-03-01,female\n",
}


# A fixed entry time: ``writestr`` with a bare name stamps the current second, so two zips of the
# same files made two seconds apart differed, and a retried upload was taken for another body.
ENTRY_TIME = (2026, 1, 1, 0, 0, 0)


def zipped(files: dict[str, str], prefix: str = "") -> bytes:
    """The same files give the same bytes, as a client's retry of one file would."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in files.items():
            entry = zipfile.ZipInfo(f"{prefix}{name}", date_time=ENTRY_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(entry, text.encode("utf-8"))
    return buffer.getvalue()
