/**
 * The icons a custom object type may have (chosen in Settings → Custom object types): stored by
 * name in `icon` (e.g. "rocket"); a name this list does not know (set over the API) shows as the
 * generic cube. `<ObjectTypeIcon icon={type.icon} />` wherever a type is shown.
 */
import {
  IconBox,
  IconBriefcase,
  IconBuildingStore,
  IconBulb,
  IconCalendarEvent,
  IconCar,
  IconCategory,
  IconCoin,
  IconCube,
  IconFileText,
  IconFlag,
  IconFolder,
  IconHeart,
  IconHome,
  IconRocket,
  IconSchool,
  IconShieldCheck,
  IconStar,
  IconTarget,
  IconTicket,
  IconTool,
  IconTruck,
  IconUsersGroup,
  type Icon,
} from '@tabler/icons-react';

export const OBJECT_ICONS: Record<string, Icon> = {
  folder: IconFolder,
  briefcase: IconBriefcase,
  rocket: IconRocket,
  box: IconBox,
  ticket: IconTicket,
  store: IconBuildingStore,
  tool: IconTool,
  document: IconFileText,
  calendar: IconCalendarEvent,
  star: IconStar,
  flag: IconFlag,
  team: IconUsersGroup,
  truck: IconTruck,
  heart: IconHeart,
  idea: IconBulb,
  target: IconTarget,
  school: IconSchool,
  home: IconHome,
  car: IconCar,
  money: IconCoin,
  shield: IconShieldCheck,
  category: IconCategory,
  cube: IconCube,
};

export function ObjectTypeIcon({ icon, size = 18 }: { icon: string | null | undefined; size?: number }) {
  const Component = (icon && OBJECT_ICONS[icon]) || IconCube;
  return <Component size={size} aria-hidden />;
}
