"""Indonesia's administrative regions and the immigration offices that cover them."""

from sqlalchemy import Column, ForeignKey, Integer, String, Table
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.extensions import db

#: Level of a region in the Ministry of Home Affairs hierarchy.
PROVINCE, REGENCY, DISTRICT, VILLAGE = 1, 2, 3, 4


class Region(db.Model):
    """A province, regency/city, district or village, keyed by its Ministry of Home Affairs code."""

    __tablename__ = "regions"

    #: Dotted code: "16", "16.72", "16.72.01", "16.72.01.1018".
    code: Mapped[str] = mapped_column(String(13), primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    level: Mapped[int] = mapped_column(index=True)
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("regions.code"), index=True)
    #: Lower-case name without punctuation, for search.
    search_name: Mapped[str] = mapped_column(String(120), index=True)

    parent: Mapped["Region | None"] = relationship(remote_side=[code], lazy="joined", join_depth=3)

    def __repr__(self) -> str:
        return f"<Region {self.code} {self.name}>"

    @property
    def path(self) -> list["Region"]:
        """Return this region and its parents, nearest first."""
        chain, region = [], self
        while region is not None:
            chain.append(region)
            region = region.parent
        return chain

    @property
    def full_name(self) -> str:
        """Return the name with its parents: "Dempo Makmur, Pagar Alam Utara, Kota Pagar Alam, …"."""
        return ", ".join(r.name for r in self.path)

    def contains(self, code: str) -> bool:
        """Tell whether a region code lies inside (or is) this region."""
        return code == self.code or code.startswith(self.code + ".")


office_regions = Table(
    "office_regions",
    db.metadata,
    Column("office_id", Integer, ForeignKey("offices.id", ondelete="CASCADE"), primary_key=True),
    Column("region_code", String(13), ForeignKey("regions.code"), primary_key=True),
)


class Office(db.Model):
    """An immigration office (Kantor Imigrasi) and the regencies/cities it covers."""

    __tablename__ = "offices"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)

    regions: Mapped[list[Region]] = relationship(secondary=office_regions, order_by=Region.code)

    def __repr__(self) -> str:
        return f"<Office {self.name}>"

    def covers(self, code: str) -> bool:
        """Tell whether a region code lies in the office's area."""
        return any(region.contains(code) for region in self.regions)
